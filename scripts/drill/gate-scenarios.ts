/**
 * The gate's scenarios (issue 23 item 7): a region that answers but is sick, a fault of our own
 * making, a vantage point lost, and a refused promotion. Each is 0 promotions unless said: the
 * gate moves trading only when the region is gone, and never promotes a database that reports
 * itself healthy or is being worked on by Aurora.
 */
import type { MeasureInput } from './scenarios';
import {
  afterRecovery,
  databaseDownFor,
  FAULT_AT,
  horizon,
  quietHorizon,
  refusedWith503Between,
  regionLost,
  type Scenario,
  SETTLE,
  type Timing,
  unaffected,
} from './scenarios';

/** How long the primary answers 503 with a healthy database. */
const SICK_SECONDS = 600;
/** Aurora's in-region failover, slow (RDS-EVENT-0073 ... RDS-EVENT-0071 three minutes apart). */
const IN_REGION_FAILOVER_SECONDS = 180;
/** A writer without a replica, recreated in its Availability Zone ("typically under 10 minutes"). */
const RECREATE_SECONDS = 480;
/** FailoverGlobalCluster refused from the first call until this long after the gate opens; the operator approves a retry later. */
const REFUSED_FOR_AFTER_GATE = 60;
const OPERATOR_APPROVES_AFTER_GATE = 90;

/** Requests in flight when a fault starts may still be answered as before for this long. */
const IN_FLIGHT_SECONDS = 5;

const decided = (action: string, what: string) => (i: MeasureInput) =>
  i.decisions.some((d) => d.action === action) ? undefined : `the orchestrator never decided ${what} (${action})`;
const neverDecided = (action: string, what: string) => (i: MeasureInput) => {
  const d = i.decisions.find((x) => x.action === action);
  return d ? `the orchestrator decided ${what} (${action}: ${d.reason})` : undefined;
};
const writerNeverMoved = (i: MeasureInput) =>
  i.writerMoves.length === 0
    ? undefined
    : `the book's writer moved to ${i.writerMoves[0].region} although us-east-1 was there`;

export function gateScenarios(timing: Timing): Scenario[] {
  const regionDown = (w: Parameters<Scenario['faults']>[0]) => w.at(FAULT_AT, () => w.regionDown('us-east-1', true));
  return [
    {
      name: 'ingress-blinds-gate',
      title:
        'an ingress allowlist that shuts out the canaries and the Route 53 checkers (allowedIngressCidrs=10.0.0.0/8)',
      proves:
        'the configuration refuses a setting that would blind the gate (a blind gate read a healthy primary as a lost region): nothing is deployed, nothing promoted',
      faultAtSeconds: 0,
      durationSeconds: 0,
      refusedByConfig: { set: { allowedIngressCidrs: '10.0.0.0/8' }, key: 'allowedIngressCidrs' },
      expect: { promotions: 0, firstLiveWithinSeconds: () => 0 },
      faults: () => undefined,
    },
    {
      name: 'primary-503-10min',
      title: 'the us-east-1 service answers 503 for 10 minutes while its database is healthy',
      proves:
        'a region that answers, sick, is not a lost region: no writer move, no promotion; the gate asks an operator (approval requested) instead of promoting away from a healthy database',
      faultAtSeconds: FAULT_AT,
      // The gate decides within its window while the service is sick; then trading resumes.
      durationSeconds: FAULT_AT + SICK_SECONDS + 30 + SETTLE,
      expect: {
        promotions: 0,
        firstLiveWithinSeconds: afterRecovery(SICK_SECONDS),
        refusesOrdersForSeconds: SICK_SECONDS,
        also: [
          decided('await-approval', 'to ask for approval'),
          writerNeverMoved,
          refusedWith503Between(FAULT_AT + IN_FLIGHT_SECONDS, FAULT_AT + SICK_SECONDS),
        ],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.serviceAnswers503('us-east-1', true));
        w.at(FAULT_AT + SICK_SECONDS, () => w.serviceAnswers503('us-east-1', false));
      },
    },
    {
      name: 'aurora-failover-3min',
      title: "Aurora's in-region failover in us-east-1 takes 3 minutes, its RDS events visible",
      proves:
        'an in-region event in progress holds the gate (it reads the events through the us-east-1 API) however long it lasts: no promotion, and trading does not notice (orders are live in the book)',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, IN_REGION_FAILOVER_SECONDS),
      expect: {
        promotions: 0,
        firstLiveWithinSeconds: unaffected,
        also: [neverDecided('promote', 'to promote'), writerNeverMoved],
      },
      faults: databaseDownFor(IN_REGION_FAILOVER_SECONDS),
    },
    {
      name: 'db-recreated-8min',
      title:
        'the us-east-1 database has no replica and its writer is recreated for 8 minutes (the cluster reports available)',
      proves:
        "a writer being recreated while the cluster reports itself available (its recovery events, RDS-EVENT-0020/0021, are the instance's: the orchestrator reads them beside the cluster's) promotes nothing: the front door still answers, and trading goes on in the book",
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, RECREATE_SECONDS),
      expect: {
        promotions: 0,
        firstLiveWithinSeconds: unaffected,
        also: [neverDecided('promote', 'to promote'), writerNeverMoved],
      },
      faults: (w) => w.at(FAULT_AT, () => w.db.recreateInstance('us-east-1', RECREATE_SECONDS)),
    },
    {
      name: 'us-west-2-lost',
      title: 'us-west-2 (one canary, one Route 53 checker region) is lost; us-east-1 is fine',
      proves: 'losing a vantage point is not losing the primary: one canary abstains, nothing moves',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing),
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected, also: [writerNeverMoved] },
      faults: (w) => w.at(FAULT_AT, () => w.regionDown('us-west-2', true)),
    },
    {
      name: 'beacon-down',
      title: 'the beacon (an AWS endpoint in us-east-1 we do not own) fails for every canary while us-east-1 is fine',
      proves:
        "the beacon corroborates a lost region, never makes one: the primary's own front door answers, nothing moves",
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing),
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected, also: [writerNeverMoved] },
      faults: (w) => w.at(FAULT_AT, () => (w.beaconBroken = true)),
    },
    {
      name: 'promotion-refused',
      title:
        'us-east-1 fails entirely and FailoverGlobalCluster is refused (the global cluster is modifying); an operator approves a retry',
      proves:
        'a refused promotion leaves trading, the book and the database consistent: orders are live in eu-west-1 within the RTO target, the refusal is decided and alarmed, and the approved retry promotes once, with nothing lost',
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing, OPERATOR_APPROVES_AFTER_GATE),
      expect: {
        promotions: 1,
        firstLiveWithinSeconds: regionLost,
        also: [
          decided('promotion-refused', 'that the promotion was refused'),
          (i) =>
            i.decisions.some((d) => d.action === 'promote' && d.trigger === 'operator approval')
              ? undefined
              : "the operator's approval did not promote",
        ],
      },
      faults: (w) => {
        w.db.refuseFailover = `Global cluster aurora-global is modifying: wait until it is available`;
        regionDown(w);
        w.at(FAULT_AT + timing.gateSeconds + REFUSED_FOR_AFTER_GATE, () => (w.db.refuseFailover = undefined));
        w.at(FAULT_AT + timing.gateSeconds + OPERATOR_APPROVES_AFTER_GATE, () =>
          w.invokeOrchestrator({ action: 'approve-failover' }, 'operator approval'),
        );
      },
    },
  ];
}
