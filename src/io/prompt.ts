import { UsageError } from '../core/errors.js';

/**
 * A passphrase from PLAN_KEY_PASSPHRASE, or typed at the terminal without echo. Never logged,
 * never passed on the command line (where `ps` would show it).
 */
export async function passphrase(purpose: string, confirm = false): Promise<string> {
  const fromEnv = process.env['PLAN_KEY_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw new UsageError(`no passphrase for ${purpose}: set PLAN_KEY_PASSPHRASE or run in a terminal`);
  const first = await readHidden(`Passphrase for ${purpose}: `);
  if (confirm && (await readHidden('Repeat the passphrase: ')) !== first) throw new UsageError('the passphrases differ');
  return first;
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (error?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}
