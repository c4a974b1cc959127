/**
 * Model-based tests of the lifecycle engine (DESIGN §3). fast-check drives random command
 * sequences (fc.commands) through the pure engine (buildLifecycle + resolveTransition over the
 * shipped rulebook/lifecycle.yaml) and through a reference model written from DESIGN §3's table,
 * and checks after every step that they agree and that the plan is only ever in a state its
 * lifecycle has. Random lifecycle tables check buildLifecycle's acceptance rules and the same
 * agreement for any table; the state file's round trip and its three-way merge are checked
 * against models too; and (budget permitting) sequences run through the real CLI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { allowedFrom, buildLifecycle, resolveTransition, type Lifecycle } from '../../src/core/lifecycle.js';
import { mergeStates } from '../../src/core/merge_state.js';
import { parseState, serializeState, type PlanState, type StateFile } from '../../src/core/state.js';
import { PROJECT_ROOT } from '../helpers.js';
import { BUDGET, buildPlanningRepo, cleanupAll, copyOf, countOnce, crashOf, describeRun, eventsOf, plan, record, SEED, statesOf } from './support.js';

const AREA = 'lifecycle model';
const stats = { inputs: 0, crashes: 0, violations: 0 };
afterAll(() => {
  record(AREA, stats);
  cleanupAll();
});
const params = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) });

// ---------------------------------------------------------------------------------------------
// the reference model: DESIGN §3, typed in from the table, independent of rulebook/lifecycle.yaml

interface Row {
  from: string | null;
  event: string;
  to: string;
  gate?: string;
  seal?: boolean;
  requiresSeal?: boolean;
}

const DESIGN_TABLE: readonly Row[] = [
  { from: null, event: 'create_plan', to: 'PLANNED' },
  { from: 'PLANNED', event: 'update_plan', to: 'PLANNED' },
  { from: 'PLANNED', event: 'validate_complete', to: 'READY_FOR_HANDOFF', gate: 'schema_lint' },
  { from: 'READY_FOR_HANDOFF', event: 'validation_failed', to: 'PLANNED' },
  { from: 'READY_FOR_HANDOFF', event: 'package_artifacts', to: 'PACKAGED', gate: 'cross_stream_consistency', seal: true },
  { from: 'PACKAGED', event: 'begin_execution', to: 'EXECUTED', gate: 'parity_coverage', requiresSeal: true },
  { from: 'EXECUTED', event: 'execution_failed', to: 'PACKAGED' },
  { from: 'EXECUTED', event: 'validate_results', to: 'VALIDATED' },
  { from: 'VALIDATED', event: 'validation_failed', to: 'EXECUTED' },
  { from: 'VALIDATED', event: 'analyze_metrics', to: 'IMPROVE' },
  { from: 'IMPROVE', event: 'cycle_complete', to: 'CLOSED' },
];
const DESIGN_STATES = ['PLANNED', 'READY_FOR_HANDOFF', 'PACKAGED', 'EXECUTED', 'VALIDATED', 'IMPROVE', 'CLOSED'];

/** "resolves an event by (current state, name), or a target state by the one transition that reaches it" */
function modelResolve(table: readonly Row[], state: string | null, wanted: string): Row | undefined {
  const from = table.filter((r) => r.from === state);
  const byEvent = from.find((r) => r.event === wanted);
  if (byEvent) return byEvent;
  const byState = from.filter((r) => r.to === wanted);
  return byState.length === 1 ? byState[0] : undefined;
}

const SHIPPED = buildLifecycle(parse(readFileSync(join(PROJECT_ROOT, 'rulebook', 'lifecycle.yaml'), 'utf8')), 'rulebook/lifecycle.yaml');

/** Names a user might type: every event and state, near misses, and words JavaScript objects already have. */
const JUNK = ['', ' ', 'planned', 'PLANNED ', 'Planned', 'create', 'CLOSED\n', 'null', 'undefined', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '*', '.*', 'READY', 'validate-complete', 'validate_complete ', 'PLANNED\u0000'];
const wantedArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...new Set(DESIGN_TABLE.map((r) => r.event))) },
  { weight: 3, arbitrary: fc.constantFrom(...DESIGN_STATES) },
  { weight: 1, arbitrary: fc.constantFrom(...JUNK) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

// ---------------------------------------------------------------------------------------------
// fc.commands over the pure engine

interface Model {
  state: string | null;
  applied: number;
}
interface Real {
  lifecycle: Lifecycle;
  state: string | null;
}

class Ask implements fc.Command<Model, Real> {
  constructor(readonly wanted: string) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    stats.inputs++;
    const expected = modelResolve(DESIGN_TABLE, model.state, this.wanted);
    const got = resolveTransition(real.lifecycle, real.state, this.wanted);
    const fail = (why: string): never => {
      countOnce(stats, 'violations', why);
      throw new Error(`from ${model.state ?? '(none)'} asking ${JSON.stringify(this.wanted)}: ${why}`);
    };
    if (got.ok !== (expected !== undefined)) fail(`engine says ${got.ok ? `ok → ${got.transition.to}` : `refused (${got.reason})`}, the model says ${expected ? `ok → ${expected.to}` : 'refused'}`);
    if (got.ok && expected) {
      const t = got.transition;
      if (t.event !== expected.event || t.to !== expected.to || t.from !== expected.from) fail(`engine takes ${t.from} -${t.event}-> ${t.to}, the model ${expected.from} -${expected.event}-> ${expected.to}`);
      if ((t.gate ?? undefined) !== expected.gate) fail(`gate on the way: engine ${t.gate}, model ${expected.gate}`);
      if (Boolean(t.seal) !== Boolean(expected.seal) || Boolean(t.requires_seal) !== Boolean(expected.requiresSeal)) fail(`seal flags differ for ${t.event}`);
      real.state = t.to;
      model.state = expected.to;
      model.applied++;
    } else if (!got.ok) {
      if (got.reason.trim() === '') fail('a refusal without a reason');
      const allowed = got.allowed.map((t) => t.event).sort();
      const modelAllowed = DESIGN_TABLE.filter((r) => r.from === model.state).map((r) => r.event).sort();
      if (JSON.stringify(allowed) !== JSON.stringify(modelAllowed)) fail(`refusal lists ${allowed.join(', ')} as allowed; the model ${modelAllowed.join(', ')}`);
    }
    // invariants after every step
    if (real.state !== model.state) fail(`engine in ${real.state}, model in ${model.state}`);
    if (real.state !== null && (!DESIGN_STATES.includes(real.state) || !real.lifecycle.states.has(real.state))) fail(`reached ${real.state}, which the lifecycle does not have`);
    if (real.state === 'CLOSED' && allowedFrom(real.lifecycle, 'CLOSED').length > 0) fail('CLOSED has a way out');
  }
  toString(): string {
    return `ask(${JSON.stringify(this.wanted)})`;
  }
}

describe('the lifecycle engine against DESIGN §3 (fc.commands)', () => {
  it('the shipped lifecycle is exactly the table of DESIGN §3', () => {
    const rows = SHIPPED.transitions.map((t) => ({ from: t.from, event: t.event, to: t.to, gate: t.gate, seal: Boolean(t.seal), requiresSeal: Boolean(t.requires_seal) }));
    const expected = DESIGN_TABLE.map((r) => ({ from: r.from, event: r.event, to: r.to, gate: r.gate, seal: Boolean(r.seal), requiresSeal: Boolean(r.requiresSeal) }));
    expect(rows).toEqual(expected);
    expect([...SHIPPED.states.keys()].sort()).toEqual([...DESIGN_STATES].sort());
  });

  it(`random command sequences always agree with the model and stay inside the lifecycle (${BUDGET.modelRuns} sequences)`, () => {
    fc.assert(
      fc.property(fc.commands([wantedArb.map((w) => new Ask(w))], { maxCommands: 40 }), (cmds) => {
        fc.modelRun(() => ({ model: { state: null, applied: 0 }, real: { lifecycle: SHIPPED, state: null } }), cmds);
      }),
      params(BUDGET.modelRuns),
    );
  });

  it('every state is reachable, and CLOSED is reached only through IMPROVE', () => {
    fc.assert(
      fc.property(fc.array(wantedArb, { maxLength: 60 }), (asks) => {
        let state: string | null = null;
        const seen = new Set<string>();
        for (const wanted of asks) {
          stats.inputs++;
          const r = resolveTransition(SHIPPED, state, wanted);
          if (!r.ok) continue;
          if (r.transition.to === 'CLOSED' && state !== 'IMPROVE') throw new Error(`CLOSED from ${state}`);
          state = r.transition.to;
          seen.add(state);
        }
      }),
      params(BUDGET.modelRuns),
    );
    // a walk that takes every transition once reaches every state
    let state: string | null = null;
    for (const e of ['create_plan', 'validate_complete', 'package_artifacts', 'begin_execution', 'validate_results', 'analyze_metrics', 'cycle_complete']) {
      const r = resolveTransition(SHIPPED, state, e);
      expect(r.ok, `${e} from ${state}`).toBe(true);
      if (r.ok) state = r.transition.to;
    }
    expect(state).toBe('CLOSED');
  });
});

// ---------------------------------------------------------------------------------------------
// any lifecycle table

interface RawTable {
  initial_event: string;
  states: Record<string, { terminal?: boolean }>;
  transitions: Array<{ from: string | null; event: string; to: string }>;
}

const STATE_POOL = ['A', 'B', 'C', 'D', 'E', 'F'];
const EVENT_POOL = ['go', 'back', 'stay', 'finish', 'create', 'retry'];

/** Mostly workable tables (a creating transition, a chain through the states), with random extra transitions that may break them. */
const tableArb: fc.Arbitrary<RawTable> = fc
  .record({
    states: fc.uniqueArray(fc.constantFrom(...STATE_POOL), { minLength: 1, maxLength: 6 }),
    terminal: fc.array(fc.integer({ min: 0, max: 11 }).map((n) => n === 0), { minLength: 6, maxLength: 6 }),
    chain: fc.array(fc.integer({ min: 0, max: 7 }).map((n) => n !== 0), { minLength: 6, maxLength: 6 }),
    // 'Z' (no such state) is rare so that a good share of the tables stays workable
    extras: fc.oneof(fc.constant([]), fc.array(fc.record({ from: fc.option(fc.constantFrom(...STATE_POOL, ...STATE_POOL, 'Z'), { freq: 12 }), event: fc.constantFrom(...EVENT_POOL), to: fc.constantFrom(...STATE_POOL, ...STATE_POOL, 'Z') }), { maxLength: 5 })),
    initial: fc.constantFrom('create', 'create', 'create', 'create', 'create', 'create', 'create', 'go'),
  })
  .map(({ states, terminal, chain, extras, initial }) => ({
    initial_event: initial,
    states: Object.fromEntries(states.map((s, i) => [s, terminal[i] ? { terminal: true } : {}])),
    transitions: [
      { from: null, event: 'create', to: states[0]! },
      ...states.slice(1).flatMap((to, i) => (chain[i] ? [{ from: states[i]!, event: EVENT_POOL[i % EVENT_POOL.length]!, to }] : [])),
      ...extras,
    ],
  }));

/** The acceptance rules buildLifecycle documents, written again. */
function modelAccepts(raw: RawTable): boolean {
  const states = new Set(Object.keys(raw.states));
  const keys = new Set<string>();
  for (const t of raw.transitions) {
    if ((t.from !== null && !states.has(t.from)) || !states.has(t.to)) return false;
    const key = `${t.from}\0${t.event}`;
    if (keys.has(key)) return false;
    keys.add(key);
    if (t.from !== null && raw.states[t.from]?.terminal) return false;
  }
  const creating = raw.transitions.filter((t) => t.from === null);
  if (creating.length !== 1 || creating[0]!.event !== raw.initial_event) return false;
  const reached = new Set([creating[0]!.to]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of raw.transitions) if (t.from !== null && reached.has(t.from) && !reached.has(t.to)) grew = reached.add(t.to).size > 0;
  }
  return [...states].every((s) => reached.has(s));
}

describe('any lifecycle table', () => {
  it(`buildLifecycle accepts exactly the workable tables, and the engine agrees with the model on them (${BUDGET.tableRuns} tables)`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(tableArb, fc.array(fc.oneof(fc.constantFrom(...EVENT_POOL), fc.constantFrom(...STATE_POOL, 'Z')), { maxLength: 30 }), (raw, asks) => {
        stats.inputs++;
        let lifecycle: Lifecycle | undefined;
        try {
          lifecycle = buildLifecycle(structuredClone(raw), 'rulebook/lifecycle.yaml');
        } catch (error) {
          if (!(error instanceof ConfigError)) {
            countOnce(stats, 'crashes', String(error));
            throw error;
          }
        }
        if ((lifecycle !== undefined) !== modelAccepts(raw)) {
          countOnce(stats, 'violations', 'buildLifecycle acceptance');
          throw new Error(`buildLifecycle ${lifecycle ? 'accepted' : 'refused'} a table the rules ${lifecycle ? 'refuse' : 'accept'}: ${JSON.stringify(raw)}`);
        }
        if (!lifecycle) return;
        accepted++;
        const table: Row[] = raw.transitions.map((t) => ({ from: t.from, event: t.event, to: t.to }));
        let state: string | null = null;
        for (const wanted of asks) {
          stats.inputs++;
          const expected = modelResolve(table, state, wanted);
          const got = resolveTransition(lifecycle, state, wanted);
          if (got.ok !== (expected !== undefined) || (got.ok && (got.transition.to !== expected!.to || got.transition.event !== expected!.event))) {
            countOnce(stats, 'violations', 'engine and model disagree on a random table');
            throw new Error(`from ${state} asking ${wanted}: engine ${got.ok ? got.transition.event : 'refused'}, model ${expected?.event ?? 'refused'}`);
          }
          if (got.ok) state = got.transition.to;
          if (state !== null && !lifecycle.states.has(state)) throw new Error(`reached ${state}, not a state of the table`);
          if (state !== null && lifecycle.states.get(state)!.terminal && allowedFrom(lifecycle, state).length > 0) throw new Error(`terminal ${state} has a way out`);
        }
      }),
      params(BUDGET.tableRuns),
    );
    expect(accepted, 'some generated tables must be workable').toBeGreaterThan(BUDGET.tableRuns / 20);
  });
});

// ---------------------------------------------------------------------------------------------
// the state file

const stateArb: fc.Arbitrary<PlanState> = fc.record({
  state: fc.constantFrom(...DESIGN_STATES),
  since: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')),
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  event: fc.constantFrom(...new Set(DESIGN_TABLE.map((r) => r.event))),
});
const planIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const stateFileArb: fc.Arbitrary<StateFile> = fc.dictionary(planIdArb, stateArb, { maxKeys: 8, noNullPrototype: true }).map((d) => new Map(Object.entries(d).map(([k, v]) => [k, { ...v }])));
const byId = (a: [string, PlanState], b: [string, PlanState]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const entries = (s: StateFile): string => JSON.stringify([...s.entries()].sort(byId));

describe('the state file (one line per plan)', () => {
  it('parseState(serializeState(s)) is s for every state file', () => {
    fc.assert(
      fc.property(stateFileArb, (state) => {
        stats.inputs++;
        const back = parseState(serializeState(state), '.plan/state.yaml');
        expect(entries(back)).toEqual(entries(state));
      }),
      params(BUDGET.modelRuns),
    );
  });

  it('the merge driver is a per-plan three-way merge: a change made on one side is never lost, both-side changes conflict', () => {
    // base, and each side derived from it by edits, additions and removals
    const sides = stateFileArb.chain((base) => {
      const ids = [...base.keys()];
      const edit = fc.record({ drop: fc.subarray(ids), change: fc.dictionary(fc.constantFrom(...ids, 'new1', 'new2'), stateArb, { maxKeys: 3, noNullPrototype: true }) }).map(({ drop, change }) => {
        const next = new Map(base);
        for (const id of drop) next.delete(id);
        for (const [id, s] of Object.entries(change)) next.set(id, { ...s });
        return next;
      });
      return fc.tuple(fc.constant(base), edit, edit);
    });
    fc.assert(
      fc.property(sides, ([base, ours, theirs]) => {
        stats.inputs++;
        const { text, conflicts } = mergeStates(serializeState(base), serializeState(ours), serializeState(theirs), '.plan/state.yaml');
        const same = (a?: PlanState, b?: PlanState) => JSON.stringify(a) === JSON.stringify(b);
        const expectedConflicts: string[] = [];
        const expected = new Map<string, PlanState>();
        for (const id of [...new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])].sort()) {
          const [b, o, t] = [base.get(id), ours.get(id), theirs.get(id)];
          if (same(o, t)) {
            if (o) expected.set(id, o);
          } else if (same(o, b)) {
            if (t) expected.set(id, t);
          } else if (same(t, b)) {
            if (o) expected.set(id, o);
          } else expectedConflicts.push(id);
        }
        expect(conflicts.sort()).toEqual(expectedConflicts);
        if (conflicts.length === 0) {
          const merged = parseState(text, '.plan/state.yaml');
          if (entries(merged) !== entries(expected)) {
            countOnce(stats, 'violations', 'state merge');
            throw new Error(`merged ${text} but expected ${JSON.stringify([...expected.entries()])}`);
          }
        } else {
          // the conflicted plans are marked; every other plan is merged as expected
          const outside = text.split('\n').filter((l) => /^[A-Za-z0-9]/.test(l) && !conflicts.includes(l.slice(0, l.indexOf(':'))));
          for (const [id, s] of expected) expect(outside, `plan ${id} lost in a conflicted merge`).toContain(`${id}: {state: ${s.state}, since: "${s.since}", seq: ${s.seq}, event: ${s.event}}`);
        }
      }),
      params(BUDGET.modelRuns),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// the CLI against the model

describe.skipIf(BUDGET.cliModelRuns === 0)('the CLI against the model (plan transition, plan seal, plan sign)', () => {
  it(`random sequences of CLI commands move the state file and the log as the model says (${BUDGET.cliModelRuns} sequences)`, async () => {
    const template = buildPlanningRepo({ plans: ['p'], keys: { lead: 'planning_lead', reviewer: 'technical_reviewer' }, prefix: 'plan-reliability-model-' });
    type CliModel = { state: string | null; seq: number; sealed: boolean; signers: Set<string> };
    type CliReal = { dir: string };
    const keys = template.keys;
    const check = (model: CliModel, real: CliReal, run: ReturnType<typeof plan>, expectApplied: boolean, what: string): void => {
      stats.inputs++;
      const crash = crashOf(run);
      if (crash) {
        countOnce(stats, 'crashes', crash);
        throw new Error(`${what}: ${crash}\n${describeRun(run)}`);
      }
      const states = statesOf(real.dir);
      const line = states.get('p');
      const events = eventsOf(real.dir, 'p').filter((e) => e.event.type !== 'GATE_FAILED');
      const problem =
        (expectApplied ? run.status !== 0 : run.status !== 1) ? `exit ${run.status}, the model expected ${expectApplied ? 0 : 1}` :
        line?.state !== model.state ? `state ${line?.state}, the model ${model.state}` :
        line?.seq !== model.seq ? `seq ${line?.seq}, the model ${model.seq}` :
        events.length !== model.seq ? `${events.length} events, the model ${model.seq}` :
        events.at(-1)?.event.payload.to_state !== model.state ? `last event to ${events.at(-1)?.event.payload.to_state}` : undefined;
      if (problem) {
        countOnce(stats, 'violations', `${what}: ${problem}`);
        throw new Error(`${what}: ${problem}\n${describeRun(run)}`);
      }
    };
    class Transition implements fc.AsyncCommand<CliModel, CliReal> {
      constructor(readonly wanted: string) {}
      check = () => true;
      async run(model: CliModel, real: CliReal): Promise<void> {
        const row = modelResolve(DESIGN_TABLE, model.state, this.wanted);
        // plan transition refuses the sealing transition (plan seal does it), and begin_execution without a verified seal
        const applies = row !== undefined && !row.seal && (!row.requiresSeal || (model.sealed && model.signers.size >= 2));
        const run = plan(real.dir, ['transition', 'p', this.wanted]);
        if (applies) {
          model.state = row.to;
          model.seq++;
        }
        check(model, real, run, applies, `transition ${this.wanted} from ${model.state}`);
      }
      toString = () => `transition(${this.wanted})`;
    }
    class Seal implements fc.AsyncCommand<CliModel, CliReal> {
      check = () => true;
      async run(model: CliModel, real: CliReal): Promise<void> {
        const applies = model.state === 'READY_FOR_HANDOFF' && !model.sealed; // one handoff per run: the default lifecycle has no way back from PACKAGED to READY
        const run = plan(real.dir, ['seal', 'p', '--key', keys.path['lead']!]);
        if (applies) {
          model.state = 'PACKAGED';
          model.seq++;
          model.sealed = true;
          model.signers.add('lead');
        }
        check(model, real, run, applies, 'seal');
      }
      toString = () => 'seal';
    }
    class Sign implements fc.AsyncCommand<CliModel, CliReal> {
      constructor(readonly who: 'lead' | 'reviewer') {}
      check = (model: Readonly<CliModel>) => model.sealed;
      async run(model: CliModel, real: CliReal): Promise<void> {
        const applies = !model.signers.has(this.who);
        const run = plan(real.dir, ['sign', '.plan/handoffs/p/0001/handoff_manifest.yaml', '--key', keys.path[this.who]!]);
        if (applies) model.signers.add(this.who);
        check(model, real, run, applies, `sign by ${this.who}`);
      }
      toString = () => `sign(${this.who})`;
    }
    const commands = [
      fc.constantFrom(...new Set(DESIGN_TABLE.filter((r) => r.from !== null).map((r) => r.event)), ...DESIGN_STATES).map((w) => new Transition(w)),
      fc.constant(new Seal()),
      fc.constantFrom('lead' as const, 'reviewer' as const).map((w) => new Sign(w)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: BUDGET.name === 'full' ? 16 : 10 }), async (cmds) => {
        const dir = copyOf(template.dir);
        await fc.asyncModelRun(() => ({ model: { state: 'PLANNED', seq: 1, sealed: false, signers: new Set<string>() }, real: { dir } }), cmds);
      }),
      { ...params(BUDGET.cliModelRuns), endOnFailure: true },
    );
  }, 600_000);
});
