/**
 * TypeBox, as every River part uses it: the schema builder and the
 * compiler, from one module.
 *
 * TypeBox is published as several hundred small modules; loading them
 * took a River process about 270 ms and 27 MB. The build replaces this
 * module's output with a single bundled file (scripts/bundle-typebox.mjs),
 * so River's services and CLI start faster and the sandbox, smaller,
 * spawns its tasks more cheaply. Import TypeBox from here, never from
 * the `typebox` package, so that only one copy is loaded.
 *
 * @packageDocumentation
 */
export { default as Type, type TProperties, type TSchema } from 'typebox';
export { Compile, type Validator } from 'typebox/compile';
