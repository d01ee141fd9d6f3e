/**
 * Every live check, in the order they run (their `order`: the ones that disturb the node, the
 * drain, last). A new check is a module in ./checks and one line here; a test keeps the two in step.
 */
import type { LiveCheck } from './context';
import { check as autoscaler } from './checks/autoscaler';
import { check as drain } from './checks/drain';
import { check as gatewayApi } from './checks/gateway-api';
import { check as networkPolicies } from './checks/network-policies';
import { check as podDeletion } from './checks/pod-deletion';
import { check as podSecurity } from './checks/pod-security';
import { check as readinessGate } from './checks/readiness-gate';
import { check as retraining } from './checks/retraining';
import { check as rollingUpdate } from './checks/rolling-update';

export const ALL_CHECKS: readonly LiveCheck[] = [
  autoscaler,
  drain,
  gatewayApi,
  networkPolicies,
  podDeletion,
  podSecurity,
  readinessGate,
  retraining,
  rollingUpdate,
].sort((a, b) => a.order - b.order);
