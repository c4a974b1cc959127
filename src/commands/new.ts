import { lstat, readFile, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { PlanError, RepoError, UsageError } from '../core/errors.js';
import { planDir } from '../core/workspace.js';
import type { GovernanceTag } from '../core/rulebook.js';
import { tempFolderPath, writeFileAtomic } from '../io/atomic.js';
import { assertRealDirInside } from '../io/inside_repo.js';
import { packageRoot } from '../io/package.js';
import { loadGovernance, loadLifecycle } from '../io/rulebook.js';
import { openRepo, type RepoOptions } from './repo.js';
import { PLAN_DIR, PlanStore, SCHEMA_DIR, STATE_PATH } from '../io/store.js';
import { applyTransition } from './transition.js';

export interface NewPlanOptions extends RepoOptions {
  id: string;
  title?: string;
  owner?: string;
  /** `key=value` pairs, checked against governance.yaml. */
  tags?: string[];
  /** For reproducible files in tests and demos. */
  now?: Date;
}

export interface NewPlanResult {
  plan: string;
  dir: string;
  files: string[];
  state: string;
  eventId?: string;
}

const PLAN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Creates `plans/<id>/` from the templates with the plan's first event, atomically: the folder is
 * built under .plan/ and moved into place by the change that gives the plan its state (see
 * PlanStore), so a crash leaves the whole plan or nothing. Refuses to touch an existing plan.
 */
export async function newPlan(options: NewPlanOptions): Promise<NewPlanResult> {
  if (!PLAN_ID.test(options.id)) throw new UsageError(`invalid plan id "${options.id}": use letters, digits, ".", "_" or "-", starting with a letter or digit (at most 64)`);
  const repo = await openRepo(options);
  const { root, config } = repo;
  const dir = planDir(config.plans_dir, options.id);
  const tags = parseTags(options.tags ?? [], loadGovernance(root, config).tags);
  const lifecycle = loadLifecycle(root, config);
  const temp = tempFolderPath(PLAN_DIR);
  const store = new PlanStore(root, { from: temp, to: dir });
  return store.locked(`plan new ${options.id}`, async () => {
    // lstat, not exists: a dangling link there is in the way too
    if (await lstat(join(root, dir)).catch(() => undefined)) throw new RepoError(`plan "${options.id}" already exists at ${dir}/`);
    if ((await store.readState()).has(options.id)) throw new RepoError(`plan "${options.id}" already has a state line in ${STATE_PATH}`);
    await assertRealDirInside(root, config.plans_dir);
    try {
      const files = await writePlanFiles(root, temp, dir, options, tags);
      const created = await applyTransition(repo, lifecycle, store, { ...options, plan: options.id, target: lifecycle.initialEvent }, undefined);
      if (created.outcome !== 'applied') throw new PlanError(`plan "${options.id}" was not created: ${created.reason ?? created.outcome}`, 1);
      return { plan: options.id, dir, files, state: created.to ?? 'PLANNED', eventId: created.eventId };
    } finally {
      await rm(join(root, temp), { recursive: true, force: true }); // gone already when the plan was created
    }
  });
}

/** Renders the templates into `buildDir`; returns the paths the files will have in `dir`. */
async function writePlanFiles(root: string, buildDir: string, dir: string, options: NewPlanOptions, tags: Record<string, string | number | boolean>): Promise<string[]> {
  const templateDir = join(packageRoot(), 'templates', 'plan');
  const handlebars = Handlebars.create();
  handlebars.registerHelper('yaml', (value: unknown) => new Handlebars.SafeString(typeof value === 'string' ? JSON.stringify(value) : String(value)));
  const context = {
    id: options.id,
    title: options.title ?? options.id,
    owner: options.owner,
    createdAt: (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    tags,
    firstTaskId: firstTaskId(options.id),
    schemaDir: relative(join(root, dir), join(root, SCHEMA_DIR)).split('\\').join('/'),
  };
  const files: string[] = [];
  for (const name of (await readdir(templateDir)).filter((f) => f.endsWith('.hbs')).sort()) {
    const template = handlebars.compile(await readFile(join(templateDir, name), 'utf8'), { noEscape: true, strict: false });
    const file = name.slice(0, -'.hbs'.length);
    await writeFileAtomic(join(root, buildDir, file), template(context));
    files.push(`${dir}/${file}`);
  }
  return files;
}

function parseTags(pairs: readonly string[], known: readonly GovernanceTag[]): Record<string, string | number | boolean> {
  const tags: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag "${pair}" must be key=value`);
    const name = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    const tag = known.find((t) => t.name === name);
    if (!tag) throw new UsageError(`unknown tag "${name}"; governance.yaml defines: ${known.map((t) => t.name).join(', ')}`);
    const value = tag.values.find((v) => String(v) === raw);
    if (value === undefined) throw new UsageError(`tag ${name} cannot be "${raw}"; allowed: ${tag.values.join(', ')}`);
    tags[name] = value;
  }
  for (const tag of known) if (!(tag.name in tags) && tag.default !== undefined) tags[tag.name] = tag.default;
  return tags;
}

/** `checkout-v2` → `CHECKOUT-V2-001`: a first task id that matches the default task id pattern. */
export function firstTaskId(planId: string): string {
  const stem = planId.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${/^[A-Z]/.test(stem) ? stem : `T-${stem}`}-001`;
}
