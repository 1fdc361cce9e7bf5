/**
 * The event log shared through Redis (ioredis; standalone or Redis
 * Cluster), so every replica serves the same events and two replicas never
 * both append one observation.
 *
 * Keys (prefix P, the cluster's hash tag as in state-keys.ts, so a
 * cluster's events share a slot with its other state):
 *
 * | key                                 | type   | what |
 * | ----------------------------------- | ------ | ---- |
 * | `P:{c:CLUSTER}:events`              | stream | observations, `XADD MAXLEN ~ max`; fields `j` (event JSON), `t` type, `r` reason, `n` namespace, `u` uid, `c` count, `s` lastSeenMs; PEXPIRE streamTtlMs after each append |
 * | `P:{c:CLUSTER}:event:UID:VERSION`   | string | dedupe key, `SET NX PX dedupeTtlMs` |
 *
 * The append script sets each dedupe key and adds the observation only
 * when the key was new, in one atomic step per cluster. The read script
 * looks at the newest `max` entries only (so the cap is exact, though
 * `MAXLEN ~` trims by whole stream nodes) and applies the query semantics
 * of event-log.ts `selectLatest` server-side, returning at most `limit`
 * events per cluster.
 *
 * Degraded mode (redis-health-gate.ts, shared with RedisStateStore): a
 * MemoryEventLog answers when Redis is unusable or a call fails (or misses
 * its deadline), `health()` turns degraded and `onHealthChange` fires. The
 * local log mirrors what this replica appended, so reads during an outage
 * still show recent events. Events appended during the outage (at most
 * `maxEventsPerCluster` per cluster) are replayed through the append
 * script when Redis is back (its 'ready' event or a successful probe), and
 * the dedupe keys drop what another replica already wrote.
 */
import type {
  EventAppendResult,
  EventQuery,
  KubernetesEvent,
} from '../fleet/index.js';
import {
  DEFAULT_EVENT_DEDUPE_TTL_MS,
  DEFAULT_MAX_EVENTS_PER_CLUSTER,
  DEFAULT_MAX_EVENT_DEDUPE_KEYS,
  assertEventQuery,
  assertPositiveInteger,
  mergeClusterAnswers,
  queryClusters,
  type EventLog,
} from './event-log.js';
import { MemoryEventLog } from './event-log-memory.js';
import {
  RedisHealthGate,
  createRedisClient,
  withDeadline,
  type RedisClient,
  type RedisHealthSettings,
} from './redis-health-gate.js';
import { defineScript, evalScript } from './redis-scripts.js';
import { assertFiniteTime } from './state-args.js';
import { StateKeys, escapeKeyPart } from './state-keys.js';
import type { StoreHealth } from './state-store.js';

/** Also `commandTimeoutMs`, `connectGraceMs` and `onHealthChange` (RedisHealthSettings). */
export interface RedisEventLogOptions extends RedisHealthSettings {
  /**
   * A connection to share (e.g. the state store's). The log does not close
   * it. Give it `enableOfflineQueue: false` so calls fail fast while Redis
   * is away (each call has a deadline regardless).
   */
  readonly client?: RedisClient;
  /** `redis://` URL of a standalone server, when no `client` is given. */
  readonly url?: string;
  /** Redis Cluster seed nodes (`host:port`), when no `client`; win over `url`. */
  readonly clusterNodes?: readonly string[];
  /** Prefix of every key (`state.key_prefix`); no `{` or `}`. */
  readonly keyPrefix: string;
  /** Observations kept per cluster. Default 1000. */
  readonly maxEventsPerCluster?: number;
  /** Lifetime of a dedupe key. Default 3 h. */
  readonly dedupeTtlMs?: number;
  /** A cluster's stream expires this long after its last append. Default 7 d. */
  readonly streamTtlMs?: number;
  /** Dedupe keys of the local fallback. Default 100000. */
  readonly maxLocalDedupeKeys?: number;
}

/** A cluster's stream outlives its last append by this much, by default. */
export const DEFAULT_EVENT_STREAM_TTL_MS = 7 * 24 * 60 * 60_000;
/** Events per append script call (bounds one script's keys and runtime). */
const APPEND_CHUNK = 200;
/** Stream entry fields after the JSON, in ARGV order. */
const FIELDS_PER_EVENT = 7;

/**
 * KEYS[1] the stream; KEYS[1 + i] the dedupe key of event i.
 * ARGV maxlen, dedupe TTL ms, stream TTL ms, then per event: json, type,
 * reason, namespace, uid, count, lastSeenMs.
 * Returns one 1 (appended) or 0 (duplicate) per event.
 */
const APPEND_EVENTS_SCRIPT = defineScript(
  'append-events',
  `
local n = #KEYS - 1
local out = {}
for i = 1, n do
  local a = 3 + (i - 1) * ${FIELDS_PER_EVENT}
  if redis.call('SET', KEYS[i + 1], '1', 'NX', 'PX', ARGV[2]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
      'j', ARGV[a + 1], 't', ARGV[a + 2], 'r', ARGV[a + 3], 'n', ARGV[a + 4],
      'u', ARGV[a + 5], 'c', ARGV[a + 6], 's', ARGV[a + 7])
    out[i] = 1
  else
    out[i] = 0
  end
end
if n > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return out
`
);

/**
 * event-log.ts `selectLatest` over the newest ARGV[1] entries.
 * KEYS[1] the stream. ARGV max, limit, then (has, value) pairs for type,
 * reason, namespace and sinceMs ('1' = filter on).
 * Returns the event JSONs, best first.
 */
const READ_EVENTS_SCRIPT = defineScript(
  'read-events',
  `
local limit = tonumber(ARGV[2])
local since = tonumber(ARGV[10])
local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[1])
local best = {}
local picked = {}
for rank, entry in ipairs(entries) do
  local e = {}
  local f = entry[2]
  for k = 1, #f, 2 do
    e[f[k]] = f[k + 1]
  end
  local s = tonumber(e['s'])
  local c = tonumber(e['c'])
  if e['u'] and e['j'] and s and c
    and (ARGV[3] == '0' or e['t'] == ARGV[4])
    and (ARGV[5] == '0' or e['r'] == ARGV[6])
    and (ARGV[7] == '0' or e['n'] == ARGV[8])
    and (ARGV[9] == '0' or s >= since) then
    local prev = best[e['u']]
    if prev == nil then
      prev = {}
      best[e['u']] = prev
      picked[#picked + 1] = prev
      prev.c = -1
    end
    if c > prev.c or (c == prev.c and s > prev.s) then
      prev.rank = rank
      prev.s = s
      prev.c = c
      prev.j = e['j']
    end
  end
end
table.sort(picked, function(a, b)
  if a.s ~= b.s then
    return a.s > b.s
  end
  return a.rank < b.rank
end)
local out = {}
for i = 1, math.min(limit, #picked) do
  out[i] = picked[i].j
end
return out
`
);

/** The log's keys, tagged like state-keys.ts' per-cluster keys. */
class EventLogKeys {
  private readonly _keys: StateKeys;

  constructor(prefix: string) {
    this._keys = new StateKeys(prefix);
  }

  stream(cluster: string): string {
    return `${this._keys.prefix}:{${this._tag(cluster)}}:events`;
  }

  dedupe(event: KubernetesEvent): string {
    // `:` is escaped too, so a uid cannot reach into the version.
    const uid = escapeKeyPart(event.uid).replace(/:/g, '%3A');
    return `${this._keys.prefix}:{${this._tag(event.cluster)}}:event:${uid}:${escapeKeyPart(event.version)}`;
  }

  private _tag(cluster: string): string {
    return this._keys.activeSeriesTag(cluster, undefined);
  }
}

/** EventLog shared through Redis, answering locally while Redis is away. */
export class RedisEventLog implements EventLog {
  readonly kind = 'redis' as const;
  readonly isShared = true;

  private readonly _client: RedisClient;
  private readonly _gate: RedisHealthGate;
  private readonly _keys: EventLogKeys;
  private readonly _maxEventsPerCluster: number;
  private readonly _dedupeTtlMs: number;
  private readonly _streamTtlMs: number;
  private readonly _local: MemoryEventLog;
  /** Appended locally while degraded, per cluster, oldest first; replayed on recovery. */
  private _pending = new Map<string, KubernetesEvent[]>();

  /**
   * @throws when no client, url or cluster nodes are given, the prefix is
   *   invalid, or an option is not a positive integer (RangeError).
   */
  constructor(options: RedisEventLogOptions) {
    this._keys = new EventLogKeys(options.keyPrefix);
    this._maxEventsPerCluster =
      options.maxEventsPerCluster ?? DEFAULT_MAX_EVENTS_PER_CLUSTER;
    this._dedupeTtlMs = options.dedupeTtlMs ?? DEFAULT_EVENT_DEDUPE_TTL_MS;
    this._streamTtlMs = options.streamTtlMs ?? DEFAULT_EVENT_STREAM_TTL_MS;
    assertPositiveInteger('maxEventsPerCluster', this._maxEventsPerCluster);
    assertPositiveInteger('dedupeTtlMs', this._dedupeTtlMs);
    assertPositiveInteger('streamTtlMs', this._streamTtlMs);
    this._local = new MemoryEventLog({
      maxEventsPerCluster: this._maxEventsPerCluster,
      dedupeTtlMs: this._dedupeTtlMs,
      maxDedupeKeys:
        options.maxLocalDedupeKeys ?? DEFAULT_MAX_EVENT_DEDUPE_KEYS,
    });

    const client = options.client ?? createRedisClient(options);
    if (client === undefined) {
      throw new Error(
        'cannot create the redis event log: give a client, a url or cluster nodes'
      );
    }
    this._client = client;
    this._gate = new RedisHealthGate({
      client,
      ownsClient: options.client === undefined,
      settings: options,
      recover: markHealthy => this._recover(markHealthy),
    });
  }

  health(): StoreHealth {
    return this._gate.health();
  }

  async append(
    events: readonly KubernetesEvent[],
    nowMs: number
  ): Promise<EventAppendResult> {
    assertFiniteTime(nowMs);
    if (events.length === 0) return { appended: [], duplicates: 0 };
    return this._gate.call(
      async () => {
        const appended = await this._appendRemote(events);
        // Mirrored so that reads during an outage still see them.
        await this._local.append(appended, nowMs);
        return { appended, duplicates: events.length - appended.length };
      },
      async () => {
        const result = await this._local.append(events, nowMs);
        this._keepPending(result.appended);
        return result;
      }
    );
  }

  async read(query: EventQuery): Promise<KubernetesEvent[]> {
    assertEventQuery(query);
    const clusters = queryClusters(query);
    if (clusters.length === 0) return [];
    return this._gate.call(
      async () => {
        const replies = await Promise.all(
          clusters.map(cluster => this._readRemote(cluster, query))
        );
        const answers = new Map<string, KubernetesEvent[]>();
        clusters.forEach((cluster, i) => answers.set(cluster, replies[i]!));
        return mergeClusterAnswers(answers, query.limit);
      },
      () => this._local.read(query)
    );
  }

  /** Removes its listeners and quits an owned connection. Idempotent. */
  async close(): Promise<void> {
    await this._gate.close();
    await this._local.close();
  }

  /** Runs the append script per cluster and chunk; the new events, in input order. */
  private async _appendRemote(
    events: readonly KubernetesEvent[]
  ): Promise<KubernetesEvent[]> {
    const byCluster = new Map<string, KubernetesEvent[]>();
    for (const event of events) {
      let list = byCluster.get(event.cluster);
      if (list === undefined) {
        list = [];
        byCluster.set(event.cluster, list);
      }
      list.push(event);
    }
    const isNew = new Set<KubernetesEvent>();
    const calls: Promise<void>[] = [];
    for (const [cluster, list] of byCluster) {
      calls.push(
        (async () => {
          // Chunks of one cluster run in order, so a duplicate within the
          // input resolves to its first occurrence.
          for (let at = 0; at < list.length; at += APPEND_CHUNK) {
            const chunk = list.slice(at, at + APPEND_CHUNK);
            const flags = await this._appendChunk(cluster, chunk);
            chunk.forEach((event, i) => {
              if (flags[i] === 1) isNew.add(event);
            });
          }
        })()
      );
    }
    await Promise.all(calls);
    return events.filter(event => isNew.has(event));
  }

  private async _appendChunk(
    cluster: string,
    chunk: readonly KubernetesEvent[]
  ): Promise<number[]> {
    const keys = [this._keys.stream(cluster)];
    const args: (string | number)[] = [
      this._maxEventsPerCluster,
      this._dedupeTtlMs,
      this._streamTtlMs,
    ];
    for (const event of chunk) {
      keys.push(this._keys.dedupe(event));
      args.push(
        JSON.stringify(event),
        event.type,
        event.reason,
        event.namespace,
        event.uid,
        event.count,
        event.lastSeenMs
      );
    }
    const reply = await evalScript(
      this._client,
      APPEND_EVENTS_SCRIPT,
      keys,
      args
    );
    if (!Array.isArray(reply) || reply.length !== chunk.length) {
      throw new Error(
        `cannot read the reply of script ${APPEND_EVENTS_SCRIPT.name}: want ${chunk.length} flags, got ${JSON.stringify(reply)}`
      );
    }
    return reply.map(Number);
  }

  private async _readRemote(
    cluster: string,
    query: EventQuery
  ): Promise<KubernetesEvent[]> {
    const reply = await evalScript(
      this._client,
      READ_EVENTS_SCRIPT,
      [this._keys.stream(cluster)],
      [
        this._maxEventsPerCluster,
        query.limit,
        ...filterArgs(query.type),
        ...filterArgs(query.reason),
        ...filterArgs(query.namespace),
        ...filterArgs(query.sinceMs),
      ]
    );
    if (!Array.isArray(reply)) {
      throw new Error(
        `cannot read the reply of script ${READ_EVENTS_SCRIPT.name}: want an array, got ${typeof reply}`
      );
    }
    const events: KubernetesEvent[] = [];
    for (const text of reply) {
      const event = parseStoredEvent(String(text));
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  /**
   * Replays the events appended during the outage, then marks the log
   * healthy (RedisHealthGate `recover`).
   */
  private async _recover(markHealthy: () => void): Promise<void> {
    // Calls during a replay go local (and to _pending), so loop until a
    // replay leaves nothing behind; there is no await between the last
    // check and turning healthy.
    while (this._pending.size > 0) {
      const pending = this._pending;
      this._pending = new Map();
      try {
        await withDeadline(
          this._appendRemote([...pending.values()].flat()),
          this._gate.callDeadlineMs * 4
        );
      } catch (err) {
        this._restorePending(pending);
        throw err;
      }
    }
    markHealthy();
  }

  private _keepPending(events: readonly KubernetesEvent[]): void {
    for (const event of events) {
      let list = this._pending.get(event.cluster);
      if (list === undefined) {
        list = [];
        this._pending.set(event.cluster, list);
      }
      list.push(event);
      // Only the newest `max` would survive the stream's cap anyway.
      if (list.length > this._maxEventsPerCluster) list.shift();
    }
  }

  /** Puts a failed replay back in front of what came in meanwhile. */
  private _restorePending(failed: Map<string, KubernetesEvent[]>): void {
    const newer = this._pending;
    this._pending = failed;
    for (const list of newer.values()) this._keepPending(list);
  }
}

/** A filter as the read script's (has, value) pair. */
function filterArgs(value: string | number | undefined): [string, string] {
  return value === undefined ? ['0', ''] : ['1', String(value)];
}

/** A stored event JSON back into an event; undefined when unreadable. */
function parseStoredEvent(text: string): KubernetesEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Partial<Record<keyof KubernetesEvent, unknown>> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.cluster !== 'string' ||
    typeof v.uid !== 'string' ||
    typeof v.version !== 'string' ||
    typeof v.type !== 'string' ||
    typeof v.reason !== 'string' ||
    typeof v.namespace !== 'string' ||
    typeof v.count !== 'number' ||
    typeof v.firstSeenMs !== 'number' ||
    typeof v.lastSeenMs !== 'number' ||
    typeof v.message !== 'string' ||
    typeof v.reportingComponent !== 'string'
  ) {
    return undefined;
  }
  const object = v.object as { kind?: unknown; name?: unknown } | undefined;
  if (
    typeof object !== 'object' ||
    typeof object.kind !== 'string' ||
    typeof object.name !== 'string'
  ) {
    return undefined;
  }
  return {
    cluster: v.cluster,
    uid: v.uid,
    version: v.version,
    type: v.type,
    reason: v.reason,
    namespace: v.namespace,
    object: { kind: object.kind, name: object.name },
    count: v.count,
    firstSeenMs: v.firstSeenMs,
    lastSeenMs: v.lastSeenMs,
    message: v.message,
    reportingComponent: v.reportingComponent,
  };
}
