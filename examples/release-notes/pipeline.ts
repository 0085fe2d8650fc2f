import { artifact, fork, job, matrix, param, project } from '@river/sdk';

/** Which release this is; `beta` also ships the experimental changes. */
const channel = param.choice('channel', ['stable', 'beta'], 'stable');
const version = param.string('version', '1.4.0');

/** The rendered notes, handed from `render` to every packaging cell. */
const notes = artifact('release-notes', 'file');

interface Change {
  file: string;
  kind: string;
  summary: string;
}

interface Package {
  file: string;
  bytes: number;
  sha256: string;
}

// 1. Fan-out: one task lists the change files, then one task per file.
const collect = job('collect', async (ctx) => {
  // River checks the types of parameters; the version's shape is ours.
  if (!/^\d+\.\d+\.\d+(-[0-9a-z.]+)?$/.test(ctx.param(version))) {
    throw new Error(`version '${ctx.param(version)}' is not x.y.z[-pre]`);
  }
  const stable = ctx.param(channel) === 'stable';
  const listing = await ctx.sh(
    stable
      ? "grep -L '^experimental: yes' changes/*.txt | sort"
      : 'ls changes/*.txt | sort',
    { name: 'list changes', inputs: ctx.sources },
  );
  const files = listing.stdout.split('\n').filter((line) => line !== '');
  ctx.log(`${ctx.param(channel)}: ${files.length} change files to read`);

  const changes = await fork(
    files,
    async (file): Promise<Change> => {
      const inputs = ctx.sources.filter((source) => source.path === file);
      const result = await ctx.sh(
        ['sed', '-n', '-e', 's/^kind: //p', '-e', 's/^summary: //p', file],
        { name: `read ${file}`, inputs },
      );
      const [kind = '', summary = ''] = result.stdout.trim().split('\n');
      return { file, kind, summary };
    },
    { concurrency: 2 },
  );

  const features = changes.filter((change) => change.kind === 'feature');
  ctx.log(
    `read ${changes.length} changes: ${features.length} features,`,
    `${changes.length - features.length} fixes`,
  );
  return changes;
});

// 3a. The notes are rendered once and provided as an artifact.
const render = job(
  'render',
  { needs: [collect], provides: [notes] },
  async (ctx) => {
    const changes = ctx.upstream.collect;
    const lines = [
      `# River ${ctx.param(version)} (${ctx.param(channel)})`,
      '',
      '## Features',
      ...changes
        .filter((change) => change.kind === 'feature')
        .map((change) => `- ${change.summary}`),
      '',
      '## Fixes',
      ...changes
        .filter((change) => change.kind === 'fix')
        .map((change) => `- ${change.summary}`),
    ];
    const result = await ctx.sh(
      [
        'sh',
        '-c',
        'printf "%s\\n" "$@" > RELEASE_NOTES.md && wc -l < RELEASE_NOTES.md',
        'render',
        ...lines,
      ],
      { name: 'render notes', outputs: ['RELEASE_NOTES.md'] },
    );
    const [file] = result.files;
    if (file === undefined) {
      throw new Error('render left no RELEASE_NOTES.md');
    }
    ctx.log(`rendered ${result.stdout.trim()} lines into ${file.path}`);
    ctx.provide(notes, file);
    return lines.length;
  },
);

// 2 and 3b. A matrix over format x compression consumes the artifact.
const packages = matrix(
  'package',
  { format: ['md', 'txt'], compression: ['none', 'gzip'] },
  { consumes: () => [notes] },
  async (ctx, cell): Promise<Package> => {
    const base = `dist/notes-${ctx.param(version)}.${cell.format}`;
    const file = cell.compression === 'gzip' ? `${base}.gz` : base;
    const convert =
      cell.format === 'md'
        ? 'cat RELEASE_NOTES.md'
        : "sed -e 's/^#* *//' -e 's/^- /* /' RELEASE_NOTES.md";
    const compress = cell.compression === 'gzip' ? ' | gzip -n -9' : '';
    const result = await ctx.sh(
      `mkdir -p dist && ${convert}${compress} > ${file}` +
        ` && wc -c < ${file} && sha256sum ${file}`,
      {
        name: `package ${cell.format}/${cell.compression}`,
        inputs: [ctx.artifact(notes)],
        outputs: [file],
      },
    );
    const [bytes = '', digest = ''] = result.stdout.trim().split('\n');
    const sha256 = digest.split(' ')[0] ?? '';
    ctx.log(`${file}: ${Number(bytes)} bytes, sha256 ${sha256.slice(0, 12)}`);
    return { file, bytes: Number(bytes), sha256 };
  },
);

// 5. The channel decides whether the release is announced at all.
const announce = job(
  'announce',
  {
    needs: [...packages],
    when: (ctx) => ctx.param(channel) === 'stable',
  },
  async (ctx) => {
    const built = packages.map((cell) => {
      const result = ctx.upstream[cell.name];
      if (result === undefined) {
        throw new Error(`no result from ${cell.name}`);
      }
      return result;
    });
    const total = built.reduce((sum, item) => sum + item.bytes, 0);
    const manifest = built.map((item) => `${item.sha256}  ${item.file}`);
    const result = await ctx.sh(
      ['sh', '-c', 'printf "%s\\n" "$@" | wc -l', 'manifest', ...manifest],
      { name: 'count manifest' },
    );
    ctx.log(`manifest lines ${result.stdout.trim()}`);
    ctx.log(`announcing ${built.length} packages, ${total} bytes in all`);
    return manifest;
  },
);

// 4. Cleanup runs however the jobs above ended.
const cleanup = job(
  'cleanup',
  { needs: [collect, announce], always: true },
  async (ctx) => {
    const changes = ctx.upstream.collect;
    const manifest = ctx.upstream.announce;
    ctx.log(
      `cleanup sees collect=${changes === null ? 'missing' : changes.length}`,
      `announce=${manifest === null ? 'missing' : manifest.length}`,
    );
    const result = await ctx.sh(
      'mkdir -p staging && rm -rf staging && echo staging removed',
      { name: 'remove staging' },
    );
    ctx.log(result.stdout.trim());
  },
);

export default project({
  name: 'release-notes',
  params: [channel, version],
  sources: ['changes'],
  jobs: [collect, render, ...packages, announce, cleanup],
});
