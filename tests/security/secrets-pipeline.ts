import { type JobContext, job, project } from '@river/sdk';

// Tasks that print the secrets they are granted in every way the masker
// must catch, and tasks that must not get them. No value appears here:
// the test sets them with `river secret set`.

/** What a task that is expected to fail reports. */
async function attempt(
  ctx: JobContext,
  command: string,
  options: { secrets: string[]; env?: Record<string, string> },
) {
  const result = await ctx.sh(command, { ...options, check: false });
  return { reason: result.reason, message: result.message ?? '' };
}

const plain = job('plain', async (ctx) => {
  const result = await ctx.sh(
    'printf "token=%s\\n" "$TOKEN"; printf "%s" "$TOKEN" >&2; ' +
      'printf "%s" "$TOKEN" | sha256sum',
    { secrets: ['TOKEN'] },
  );
  return { stdout: result.stdout, stderr: result.stderr };
});

const split = job('split', async (ctx) => {
  const result = await ctx.sh(
    'printf "%s" "$TOKEN" | head -c 8; sleep 0.2; ' +
      'printf "%s\\n" "$TOKEN" | tail -c +9',
    { secrets: ['TOKEN'] },
  );
  return result.stdout;
});

const multi = job('multi', async (ctx) => {
  const result = await ctx.sh(
    'printf "%s" "$MULTI"; sleep 0.2; ' +
      'printf "%s\\n" "$MULTI" | sed -n 2p; ' +
      'printf "%s\\n" "$MULTI" | sed -n 3p | head -c 5; sleep 0.2; ' +
      'printf "%s\\n" "$MULTI" | sed -n 3p | tail -c +6',
    { secrets: ['MULTI'] },
  );
  return result.stdout;
});

const ungranted = job('ungranted', async (ctx) => {
  const result = await ctx.sh(
    'printf "[%s|%s]" "$TOKEN" "$MULTI"; ' +
      'env | grep -c -e "^TOKEN=" -e "^MULTI=" || true',
  );
  return result.stdout;
});

const missing = job('missing', (ctx) =>
  attempt(ctx, 'echo this never runs', { secrets: ['TOKEN', 'NOT_SET'] }),
);

const wrongKey = job('wrong-key', (ctx) =>
  attempt(ctx, 'echo this never runs', { secrets: ['FOR_OTHER_KEY'] }),
);

const moved = job('moved', (ctx) =>
  attempt(ctx, 'echo this never runs', { secrets: ['MOVED'] }),
);

const clash = job('clash', (ctx) =>
  attempt(ctx, 'echo this never runs', {
    secrets: ['TOKEN'],
    env: { TOKEN: 'declared' },
  }),
);

export default project({
  name: 'secrets',
  jobs: [plain, split, multi, ungranted, missing, wrongKey, moved, clash],
});
