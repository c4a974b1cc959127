import { approvalCount } from './approval_count.js';
import { auditTrail } from './audit_trail.js';
import { changeFreeze } from './change_freeze.js';
import { documentation } from './documentation.js';
import { emergencyContact } from './emergency_contact.js';
import { reviewBoard } from './review_board.js';
import { rollbackPlan } from './rollback_plan.js';
import type { Requirement } from './types.js';

/** Every requirement governance.yaml may name. Adding one is adding a file and a line here. */
export const REQUIREMENTS: ReadonlyMap<string, Requirement> = new Map([approvalCount, reviewBoard, emergencyContact, rollbackPlan, auditTrail, changeFreeze, documentation].map((r) => [r.name, r]));

export type { Requirement, RequirementContext, FreezeWindow } from './types.js';
