import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import type { Rng } from "../runtime/rng.ts";
import type { Transport } from "../net/transport.ts";
import type { DeviceProfile } from "../plugins/devices/profiles.ts";
import type { ImportancePlugin } from "../plugins/importance/types.ts";
import type { AggregationPlugin } from "../plugins/aggregation/types.ts";
import type { LearningService } from "../learn/service.ts";
import type { PieceStore } from "../swarm/store-port.ts";
import type { Scenario } from "../scenarios/types.ts";
import type { PeerTelemetry } from "./peer-telemetry.ts";

/** Everything a peer gets from its host: ports, plugins, the shared learning service and its data shard. */
export interface PeerDeps {
  id: string;
  swarmId: string;
  /** Shared token for hello and join. @default "" */
  auth?: string;
  clock: Clock;
  rng: Rng;
  log: Logger;
  /** This peer's transport (not yet listening). */
  transport: Transport;
  trackerAddress: string;
  store: PieceStore;
  device: DeviceProfile;
  scenario: Scenario;
  importance: ImportancePlugin;
  aggregation: AggregationPlugin;
  learning: LearningService;
  /** Indices of this peer's examples in the learning service's training set. */
  shard: Uint32Array;
  telemetry: PeerTelemetry;
}
