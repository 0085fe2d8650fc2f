import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

// The built bundler, as `river run` loads it: each bundling below runs in
// a process of its own, started in the folder it is run from.
const BUNDLER = fileURLToPath(
  new URL('../../dist/client/bundler.js', import.meta.url),
);

const PIPELINE = `import { job, project } from '@river/sdk';
import { greeting } from './lib/words';

const greet = job('greet', async (ctx) => {
  await ctx.sh(['echo', greeting]);
});

export default project({ name: 'bundled', jobs: [greet] });
`;

let root: string;
/** The project, and a copy of it whose path to the SDK is the same. */
let first: string;
let second: string;

/** The bundle digest of `file`, bundled by a process started in `cwd`. */
async function digestFrom(cwd: string, file: string): Promise<string> {
  const script =
    'const { bundleProject } = await import(process.argv[1]);' +
    'process.stdout.write((await bundleProject(process.argv[2])).digest);';
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, BUNDLER, file],
    { cwd },
  );
  return stdout;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'river-bundler-test-'));
  first = join(root, 'checkout-a', 'project');
  second = join(root, 'checkout-b', 'project');
  await mkdir(join(first, 'lib'), { recursive: true });
  await writeFile(join(first, 'pipeline.ts'), PIPELINE);
  await writeFile(
    join(first, 'lib', 'words.ts'),
    "export const greeting = 'hello';\n",
  );
  await cp(first, second, { recursive: true });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a bundle digest', () => {
  it('is the same from whatever folder the project is run', async () => {
    const file = join(first, 'pipeline.ts');
    const digests = [
      await digestFrom(first, 'pipeline.ts'),
      await digestFrom(join(first, 'lib'), '../pipeline.ts'),
      await digestFrom(root, relative(root, file)),
      await digestFrom('/', file),
    ];

    expect(digests[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(digests).size).toBe(1);
  });

  it('is the same for a copy of the project at another absolute path', async () => {
    const original = await digestFrom(root, join(first, 'pipeline.ts'));
    const copy = await digestFrom(root, join(second, 'pipeline.ts'));

    expect(copy).toBe(original);
  });

  it('changes with the code of a module the project imports', async () => {
    const before = await digestFrom(second, 'pipeline.ts');
    await writeFile(
      join(second, 'lib', 'words.ts'),
      "export const greeting = 'hi';\n",
    );

    expect(await digestFrom(second, 'pipeline.ts')).not.toBe(before);
  });
});
