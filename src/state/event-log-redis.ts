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
 * Degraded mode, composed the way RedisStateStore does it: a
 * MemoryEventLog answers when Redis is unusable or a call fails (or misses
 * its deadline), `health()` turns degraded and `onHealthChange` fires. The
 * local log mirrors what this replica appended, so reads during an outage
 * still show recent events. Events appended during the outage (at most
 * `maxEventsPerCluster` per cluster) are replayed through the append
 * script when Redis is back (its 'ready' event or a successful probe), and
 * the dedupe keys drop what another replica already wrote.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cluster, Redis, type ClusterNode } from 'ioredis';
import type {
  EventAppendResult,
  EventQuery,
  KubernetesEvent,
} from '../fleet/events/index.js';
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
import { assertFiniteTime } from './state-args.js';
import { StateKeys, escapeKeyPart } from './state-keys.js';
import type { StoreHealth } from './state-store.js';

export interface RedisEventLogOptions {
  /**
   * A connection to share (e.g. the state store's). The log does not close
   * it. Give it `enableOfflineQueue: false` so calls fail fast while Redis
   * is away (each call has a deadline regardless).
   */
  readonly client?: Redis | Cluster;
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
  /** Redis command timeout; a call's deadline is this plus 250 ms. Default 500. */
  readonly commandTimeoutMs?: number;
  /** How long calls wait for the first connection before going local. Default 1000. */
  readonly connectGraceMs?: number;
  /** Dedupe keys of the local fallback. Default 100000. */
  readonly maxLocalDedupeKeys?: number;
  /** Called once per change of `health().degraded`. */
  readonly onHealthChange?: (health: StoreHealth) => void;
}

/** A cluster's stream outlives its last append by this much, by default. */
export const DEFAULT_EVENT_STREAM_TTL_MS = 7 * 24 * 60 * 60_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_CONNECT_GRACE_MS = 1000;
const CALL_DEADLINE_SLACK_MS = 250;
const PROBE_INTERVAL_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;
const QUIT_TIMEOUT_MS = 1000;
/** Events per append script call (bounds one script's keys and runtime). */
const APPEND_CHUNK = 200;
/** Stream entry fields after the JSON, in ARGV order. */
const FIELDS_PER_EVENT = 7;

const HEALTHY: StoreHealth = Object.freeze({ degraded: false });

interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function defineScript(name: string, source: string): LuaScript {
  const sha1 = createHash('sha1').update(source).digest('hex');
  return Object.freeze({ name, source, sha1 });
}

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

type RedisClient = Redis | Cluster;

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
  private readonly _ownsClient: boolean;
  private readonly _keys: EventLogKeys;
  private readonly _maxEventsPerCluster: number;
  private readonly _dedupeTtlMs: number;
  private readonly _streamTtlMs: number;
  private readonly _callDeadlineMs: number;
  private readonly _onHealthChange: ((health: StoreHealth) => void) | undefined;
  private readonly _local: MemoryEventLog;
  /** Appended locally while degraded, per cluster, oldest first; replayed on recovery. */
  private _pending = new Map<string, KubernetesEvent[]>();

  private _health: StoreHealth = HEALTHY;
  private _lastError: string | undefined;
  private _probeAtMs = 0;
  private _isRecovering = false;
  private _isClosed = false;
  private _hasBeenReady = false;
  private _isGraceOver = false;
  private readonly _startup: Promise<void>;
  private readonly _graceTimer: NodeJS.Timeout;
  private readonly _listeners: [string, (...args: unknown[]) => void][] = [];

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
    const commandTimeoutMs =
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this._callDeadlineMs = commandTimeoutMs + CALL_DEADLINE_SLACK_MS;
    this._onHealthChange = options.onHealthChange;
    this._local = new MemoryEventLog({
      maxEventsPerCluster: this._maxEventsPerCluster,
      dedupeTtlMs: this._dedupeTtlMs,
      maxDedupeKeys:
        options.maxLocalDedupeKeys ?? DEFAULT_MAX_EVENT_DEDUPE_KEYS,
    });

    if (options.client !== undefined) {
      this._client = options.client;
      this._ownsClient = false;
    } else {
      this._client = createClient(options, commandTimeoutMs);
      this._ownsClient = true;
    }

    let resolveStartup: () => void = () => {};
    this._startup = new Promise(resolve => {
      resolveStartup = resolve;
    });
    this._graceTimer = setTimeout(() => {
      this._isGraceOver = true;
      resolveStartup();
    }, options.connectGraceMs ?? DEFAULT_CONNECT_GRACE_MS);
    this._graceTimer.unref();
    if (this._client.status === 'ready') {
      this._hasBeenReady = true;
      clearTimeout(this._graceTimer);
      resolveStartup();
    }

    this._listen('ready', () => {
      this._hasBeenReady = true;
      clearTimeout(this._graceTimer);
      resolveStartup();
      if (this._health.degraded && !this._isClosed) void this._recover();
    });
    this._listen('error', (err: unknown) => {
      this._lastError = describeError(err);
      if (this._client.status !== 'ready') this._degrade(this._lastError);
    });
    this._listen('close', () => {
      this._degrade(this._lastError ?? 'redis: connection closed');
      if (!this._hasBeenReady) {
        this._isGraceOver = true;
        resolveStartup();
      }
    });
  }

  health(): StoreHealth {
    return this._health;
  }

  async append(
    events: readonly KubernetesEvent[],
    nowMs: number
  ): Promise<EventAppendResult> {
    assertFiniteTime(nowMs);
    if (events.length === 0) return { appended: [], duplicates: 0 };
    return this._call(
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
    return this._call(
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
    if (this._isClosed) return;
    this._isClosed = true;
    clearTimeout(this._graceTimer);
    for (const [event, listener] of this._listeners)
      this._client.off(event, listener);
    if (this._ownsClient) {
      if (this._client.status === 'ready') {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            this._client.quit(),
            new Promise(resolve => {
              timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
              timer.unref();
            }),
          ]);
        } catch {
          // The connection is going away anyway.
        } finally {
          clearTimeout(timer);
        }
      }
      this._client.disconnect();
    }
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
    const reply = await this._eval(APPEND_EVENTS_SCRIPT, keys, args);
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
    const reply = await this._eval(
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

  /** Runs `remote` within the call deadline, or `local` when Redis is unusable or fails. */
  private async _call<T>(
    remote: () => Promise<T>,
    local: () => Promise<T>
  ): Promise<T> {
    if (!this._hasBeenReady && !this._isGraceOver) await this._startup;
    if (!this._isRedisUsable()) return local();
    let result: T;
    try {
      result = await withDeadline(remote(), this._callDeadlineMs);
    } catch (err) {
      this._degrade(describeError(err));
      return local();
    }
    if (this._health.degraded) void this._recover();
    return result;
  }

  private _isRedisUsable(): boolean {
    if (this._isClosed || this._isRecovering) return false;
    if (this._client.status !== 'ready') {
      this._degrade(
        this._lastError ?? `redis: not connected (${this._client.status})`
      );
      return false;
    }
    return !this._health.degraded || performance.now() >= this._probeAtMs;
  }

  /** Replays the events appended during the outage, then turns healthy. */
  private async _recover(): Promise<void> {
    if (this._isRecovering || this._isClosed) return;
    this._isRecovering = true;
    try {
      // Calls during a replay go local (and to _pending), so loop until a
      // replay leaves nothing behind; there is no await between the last
      // check and turning healthy.
      while (this._pending.size > 0) {
        const pending = this._pending;
        this._pending = new Map();
        try {
          await withDeadline(
            this._appendRemote([...pending.values()].flat()),
            this._callDeadlineMs * 4
          );
        } catch (err) {
          this._restorePending(pending);
          this._degrade(describeError(err));
          return;
        }
      }
      this._setHealthy();
    } finally {
      this._isRecovering = false;
    }
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

  /** EVALSHA, falling back to EVAL (which also caches it) on NOSCRIPT. */
  private async _eval(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[]
  ): Promise<unknown> {
    try {
      return await this._client.evalsha(
        script.sha1,
        keys.length,
        ...keys,
        ...args
      );
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT'))
        throw err;
      return this._client.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  private _listen(event: string, listener: (...args: unknown[]) => void): void {
    this._client.on(event, listener);
    this._listeners.push([event, listener]);
  }

  private _degrade(reason: string): void {
    if (this._isClosed) return;
    this._probeAtMs = performance.now() + PROBE_INTERVAL_MS;
    const wasDegraded = this._health.degraded;
    this._health = Object.freeze({ degraded: true, reason });
    if (!wasDegraded) this._notify();
  }

  private _setHealthy(): void {
    if (!this._health.degraded) return;
    this._health = HEALTHY;
    this._lastError = undefined;
    this._notify();
  }

  private _notify(): void {
    if (this._onHealthChange === undefined) return;
    try {
      this._onHealthChange(this._health);
    } catch {
      // An observer's failure must not break the log.
    }
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

/** An owned client with the state store's settings: no offline queue, short timeouts. */
function createClient(
  options: RedisEventLogOptions,
  commandTimeoutMs: number
): RedisClient {
  const nodes = options.clusterNodes ?? [];
  if (nodes.length > 0) {
    return new Cluster(nodes.map(parseClusterNode), {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelayMs,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      redisOptions: {
        commandTimeout: commandTimeoutMs,
        connectTimeout: CONNECT_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
      },
    });
  }
  if (options.url !== undefined) {
    return new Redis(options.url, {
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelayMs,
    });
  }
  throw new Error(
    'cannot create the redis event log: give a client, a url or cluster nodes'
  );
}

/** Reconnect delay: doubling from RECONNECT_MIN_MS to RECONNECT_MAX_MS, with jitter. */
function reconnectDelayMs(attempt: number): number {
  const ceiling = Math.min(
    RECONNECT_MAX_MS,
    RECONNECT_MIN_MS * 2 ** Math.min(attempt, 10)
  );
  return Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function parseClusterNode(node: string): ClusterNode {
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return {
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
  };
}

/** Resolves or rejects like `promise`, or rejects once `ms` have passed. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `redis: ${message}`;
}
