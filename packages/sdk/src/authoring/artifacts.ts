import type { FileRef } from '@river/protocol';
import { DefinitionError } from './errors.js';

/** An artifact's shape: one file, or a tree of files and directories. */
export type ArtifactShape = 'file' | 'tree';

/**
 * A named interface between jobs: one job provides it, others consume it
 * without naming that job.
 */
export interface Artifact<Shape extends ArtifactShape = ArtifactShape> {
  readonly kind: 'river.artifact';
  readonly name: string;
  readonly shape: Shape;
}

/** What an artifact holds: one file reference, or a list of them. */
export type ArtifactFiles<Shape extends ArtifactShape> = Shape extends 'file'
  ? FileRef
  : FileRef[];

const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Declares an artifact. List it in the providing job's `provides` and in
 * each consumer's `consumes`; the consumers then start after the provider.
 *
 * @example
 * ```ts
 * const library = artifact('libfixed', 'tree');
 * const build = job('build', { provides: [library] }, async (ctx) => {
 *   const result = await ctx.sh('make lib', { outputs: ['build'] });
 *   ctx.provide(library, takeFrom('build', result.files));
 * });
 * const test = job('test', { consumes: [library] }, async (ctx) => {
 *   await ctx.sh('make test', { inputs: ctx.artifact(library) });
 * });
 * ```
 */
export function artifact<const Shape extends ArtifactShape>(
  name: string,
  shape: Shape,
): Artifact<Shape> {
  if (!ARTIFACT_NAME_PATTERN.test(name)) {
    throw new DefinitionError(
      `Artifact name ${JSON.stringify(name)} may only hold letters, digits, ` +
        "'.', '-' and '_'.",
    );
  }
  if (shape !== 'file' && shape !== 'tree') {
    throw new DefinitionError(
      `Artifact ${name} has shape ${JSON.stringify(shape)}; use 'file' or ` +
        "'tree'.",
    );
  }
  return { kind: 'river.artifact', name, shape };
}

/** The files to hand on for an artifact, checked against its shape. */
export function filesFor(
  declared: Artifact,
  files: FileRef | readonly FileRef[],
): FileRef[] {
  const list = Array.isArray(files) ? [...files] : [files as FileRef];
  if (declared.shape === 'file' && list.length !== 1) {
    throw new DefinitionError(
      `Artifact ${declared.name} is a single file, but ${list.length} ` +
        'files were provided for it.',
    );
  }
  return list;
}

/** An artifact's files as its shape says: one reference, or a list. */
export function shapeFiles<Shape extends ArtifactShape>(
  declared: Artifact<Shape>,
  files: readonly FileRef[],
): ArtifactFiles<Shape> {
  return (
    declared.shape === 'file' ? files[0] : [...files]
  ) as ArtifactFiles<Shape>;
}
