import type { ParamSpec } from '@river/protocol';
import { DefinitionError } from './errors.js';

declare const valueType: unique symbol;

/** A declared project parameter; read its value with `ctx.param(p)`. */
export interface Param<Value> extends ParamSpec {
  /** Carries the value's type; never set at run time. */
  readonly [valueType]?: Value;
}

const PARAM_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

function declare<Value>(spec: ParamSpec): Param<Value> {
  if (!PARAM_NAME_PATTERN.test(spec.name)) {
    throw new DefinitionError(
      `Parameter name ${JSON.stringify(spec.name)} must start with a ` +
        "letter and hold only letters, digits, '-' and '_'.",
    );
  }
  const fallback = spec.default;
  const fits =
    fallback === undefined ||
    (spec.type === 'number'
      ? typeof fallback === 'number' && Number.isFinite(fallback)
      : typeof fallback === spec.type &&
        (spec.choices === undefined ||
          spec.choices.includes(fallback as string)));
  if (!fits) {
    throw new DefinitionError(
      `Parameter ${spec.name}'s default ${JSON.stringify(fallback)} is not ` +
        `a valid ${spec.type}${spec.choices ? ` of ${spec.choices.join(', ')}` : ''}.`,
    );
  }
  return spec as Param<Value>;
}

/**
 * Builders of project parameters, given on the command line as
 * `river run file.ts --param name=value` and checked before anything
 * runs. A parameter without a default is required.
 *
 * @example
 * ```ts
 * const target = param.choice('target', ['debug', 'release'], 'release');
 * const build = job('build', async (ctx) => ctx.sh(`make ${ctx.param(target)}`));
 * export default project({ name: 'app', params: [target], jobs: [build] });
 * ```
 */
export const param = {
  /** A free-form string. */
  string(name: string, fallback?: string, description?: string) {
    return declare<string>({
      name,
      type: 'string',
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(description === undefined ? {} : { description }),
    });
  },
  /** One of a fixed set of strings. */
  choice<const Choice extends string>(
    name: string,
    choices: readonly Choice[],
    fallback?: NoInfer<Choice>,
    description?: string,
  ) {
    if (choices.length === 0) {
      throw new DefinitionError(`Parameter ${name} has no choices.`);
    }
    return declare<Choice>({
      name,
      type: 'string',
      choices,
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(description === undefined ? {} : { description }),
    });
  },
  /** A number. */
  number(name: string, fallback?: number, description?: string) {
    return declare<number>({
      name,
      type: 'number',
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(description === undefined ? {} : { description }),
    });
  },
  /** `true` or `false`. */
  boolean(name: string, fallback?: boolean, description?: string) {
    return declare<boolean>({
      name,
      type: 'boolean',
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(description === undefined ? {} : { description }),
    });
  },
};
