import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message } from 'esbuild';
import { BundleError } from './errors.js';

/** A project file bundled into one module, addressed by content. */
export interface ProjectBundle {
  /** The project file as the user named it. */
  file: string;
  /** Its absolute path. */
  path: string;
  /** The bundled module (CommonJS), as the controller evaluates it. */
  code: string;
  /** Lower-case hex SHA-256 of `code`. */
  digest: string;
  /** The source map of `code`, to point at the project file's lines. */
  sourceMap: string;
}

// Project files import '@river/sdk'; they get this SDK's authoring entry,
// wherever the file lives, so that the bundle matches the CLI's version.
const AUTHORING_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url));

function describe(message: Message, file: string, folder: string): string {
  const where = message.location;
  if (where === null) {
    return `${file}: ${message.text}`;
  }
  // esbuild names the file from the project's folder; the user named the
  // project from where they are.
  const shown = relative(process.cwd(), resolve(folder, where.file));
  return (
    `${shown}:${where.line}:${where.column + 1}: ${message.text}\n` +
    `    ${where.lineText}`
  );
}

/**
 * Bundles a project file and the modules it imports into one module.
 *
 * @throws BundleError when the file does not exist or does not compile;
 *   the message gives `file:line:column` of each error.
 */
export async function bundleProject(file: string): Promise<ProjectBundle> {
  const path = resolve(file);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    throw new BundleError(
      file,
      `Project file ${file} does not exist (looked for ${path}).`,
    );
  }
  if (!info.isFile()) {
    throw new BundleError(
      file,
      `${file} is not a file: name the project's .ts file, for example ` +
        `${file.replace(/\/$/, '')}/pipeline.ts.`,
    );
  }
  let code: string;
  let sourceMap: string;
  try {
    const result = await build({
      entryPoints: [path],
      // The bundle names each module by its path from here: from the
      // project's folder, it is the same wherever the project is run from
      // or checked out, and so are its digest and its tasks' cache keys.
      absWorkingDir: dirname(path),
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'es2022',
      alias: { '@river/sdk': AUTHORING_ENTRY },
      logLevel: 'silent',
      legalComments: 'none',
      sourcemap: 'external',
      // Only names the map; nothing is written.
      outfile: `${path}.bundle.js`,
    });
    const outputs = result.outputFiles;
    code = outputs.find((file) => file.path.endsWith('.js'))?.text ?? '';
    sourceMap = outputs.find((file) => file.path.endsWith('.map'))?.text ?? '';
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors ?? [];
    const first = errors[0];
    const details = errors.map((message) =>
      describe(message, file, dirname(path)),
    );
    throw new BundleError(
      file,
      `Project file ${file} does not compile:\n${details.join('\n')}`,
      first?.location?.line,
      error,
    );
  }
  const digest = createHash('sha256').update(code).digest('hex');
  return { file, path, code, digest, sourceMap };
}
