import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanConfig } from '../core/config.js';
import type { GovernanceRulebook } from '../core/rulebook.js';
import { buildLifecycle, type Lifecycle } from '../core/lifecycle.js';
import { buildGates, type GateDef } from '../core/gates.js';
import { packageRoot } from './package.js';
import { loadYamlFile } from './yaml_file.js';

export const RULEBOOK_FILES = ['lifecycle', 'gates', 'governance', 'kpis', 'sealing', 'team_capacity', 'freeze_calendar', 'waivers'] as const;
export type RulebookName = (typeof RULEBOOK_FILES)[number];

/** Where a rulebook file comes from: the repository's own rulebook/ wins, file by file, over the shipped one. */
export function rulebookSource(root: string, config: PlanConfig, name: RulebookName): { path: string; display: string; origin: 'repository' | 'built-in' } {
  for (const ext of ['yaml', 'yml']) {
    const display = `${config.rulebook_dir.replace(/\/+$/, '')}/${name}.${ext}`;
    const path = join(root, display);
    if (existsSync(path)) return { path, display, origin: 'repository' };
  }
  return { path: join(packageRoot(), 'rulebook', `${name}.yaml`), display: `(built-in) rulebook/${name}.yaml`, origin: 'built-in' };
}

/** Loads and schema-checks one rulebook file. */
export function loadRulebookFile(root: string, config: PlanConfig, name: RulebookName): unknown {
  const source = rulebookSource(root, config, name);
  return loadYamlFile(source.path, source.display, name);
}

export function loadGovernance(root: string, config: PlanConfig): GovernanceRulebook {
  const raw = loadRulebookFile(root, config, 'governance') as { governance?: GovernanceRulebook } & Partial<GovernanceRulebook>;
  const body = raw.governance ?? raw;
  return { tags: body.tags ?? [], rules: body.rules ?? {} };
}

export function loadLifecycle(root: string, config: PlanConfig): Lifecycle {
  const source = rulebookSource(root, config, 'lifecycle');
  return buildLifecycle(loadYamlFile(source.path, source.display, 'lifecycle'), source.display);
}

export function loadGates(root: string, config: PlanConfig): { gates: Map<string, GateDef>; file: string } {
  const source = rulebookSource(root, config, 'gates');
  return { gates: buildGates(loadYamlFile(source.path, source.display, 'gates')), file: source.display };
}

/** The signature threshold and roles of sealing.yaml (seed §5.2: 2 signatures, planning_lead and technical_reviewer). */
export function loadSealingPolicy(root: string, config: PlanConfig): { requiredSignatures: number; requiredRoles: string[] } {
  const sealing = loadRulebookFile(root, config, 'sealing') as { verification?: { required_signatures?: number; signers?: Array<{ role: string }> } };
  return { requiredSignatures: sealing.verification?.required_signatures ?? 2, requiredRoles: (sealing.verification?.signers ?? []).map((s) => s.role) };
}
