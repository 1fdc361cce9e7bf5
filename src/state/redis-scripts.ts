/**
 * The Lua scripts of the Redis store. Each touches one key (one slot, so
 * Redis Cluster routes it by that key) and runs atomically, which is what
 * makes a token take or an election agree across replicas.
 *
 * Times are the caller's `nowMs` (passed in ARGV), never Redis' TIME, so the
 * memory and Redis stores answer the same for the same inputs. Numbers
 * stored or returned as text use `%.17g`, which round-trips a double exactly
 * (Redis would truncate a Lua number reply to an integer).
 */
import { createHash } from 'node:crypto';

/** A script and its SHA1, for EVALSHA with a fallback to EVAL. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

export function defineScript(name: string, source: string): LuaScript {
  const sha1 = createHash('sha1').update(source).digest('hex');
  return Object.freeze({ name, source, sha1 });
}

/** What evalScript needs of an ioredis client (standalone or cluster). */
export interface ScriptRunner {
  evalsha(
    sha1: string,
    numKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<unknown>;
  eval(
    source: string,
    numKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<unknown>;
}

/** EVALSHA, falling back to EVAL (which also caches the script) on NOSCRIPT. */
export async function evalScript(
  client: ScriptRunner,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[]
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT'))
      throw err;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}

/**
 * Refill and take, as token-bucket.ts `takeFromTokenBucket` (same steps,
 * same operation order).
 *
 * KEYS[1] the bucket hash (`t` tokens, `ts` last refill ms).
 * ARGV take, ratePerSecond, burst, nowMs.
 * Returns `{allowed (0|1), tokens after (text), retryAfterMs}`. The key
 * expires (PEXPIRE) one second after the bucket would be full again, when
 * it equals a forgotten bucket.
 */
export const TOKEN_BUCKET_SCRIPT = defineScript(
  'token-bucket',
  `
local take = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
if now > last then
  tokens = math.min(burst, tokens + ((now - last) * rate) / 1000)
  last = now
end
tokens = math.min(tokens, burst)
local allowed = 0
local retry = 0
if tokens >= take or (take > burst and tokens >= burst) then
  tokens = tokens - take
  allowed = 1
else
  retry = math.max(1, math.ceil(((math.min(take, burst) - tokens) * 1000) / rate))
end
local tokensText = string.format('%.17g', tokens)
redis.call('HSET', KEYS[1], 't', tokensText, 'ts', string.format('%.17g', last))
local untilFull = math.max(0, math.ceil(((burst - tokens) * 1000) / rate))
redis.call('PEXPIRE', KEYS[1], string.format('%d', untilFull + 1000))
return {allowed, tokensText, retry}
`
);

/**
 * Mimir-style HA election for one cluster.
 *
 * KEYS[1] the election hash (`leader`, `seen` ms).
 * ARGV replica, nowMs, failoverTimeoutMs, key TTL ms.
 * With no leader, or a leader other than the asker silent for strictly
 * longer than the timeout, the asker becomes leader; the leader asking
 * renews its lease (`seen` never moves back); anyone else is told who leads.
 * Returns `{leader, seen (text)}`.
 */
export const HA_ELECTION_SCRIPT = defineScript(
  'ha-election',
  `
local replica = ARGV[1]
local now = tonumber(ARGV[2])
local timeout = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'leader', 'seen')
local leader = state[1]
local seen = tonumber(state[2])
if not leader or seen == nil or (leader ~= replica and now - seen > timeout) then
  leader = replica
  seen = now
  redis.call('HSET', KEYS[1], 'leader', leader, 'seen', string.format('%.17g', seen))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
elseif leader == replica then
  if now > seen then
    seen = now
    redis.call('HSET', KEYS[1], 'seen', string.format('%.17g', seen))
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {leader, string.format('%.17g', seen)}
`
);

/**
 * Publishes one replica's snapshot.
 *
 * KEYS[1] the snapshots hash of a kind. ARGV replicaId, entry JSON
 * (`{p: payload, t: publishedAtMs, e: expiresAtMs}`), key TTL ms.
 * The key's TTL only ever grows, so one replica's short TTL never cuts
 * another's snapshot; per-entry expiry is `e`, applied by the read script.
 */
export const PUBLISH_SNAPSHOT_SCRIPT = defineScript(
  'publish-snapshot',
  `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`
);

/**
 * Reads the live snapshots of a kind and deletes expired (or unreadable)
 * entries in the same atomic step, so a read never deletes an entry that
 * another replica has just republished.
 *
 * KEYS[1] the snapshots hash. ARGV nowMs.
 * Returns a flat `[replicaId, entry JSON, …]` of entries with `e > nowMs`.
 */
export const READ_SNAPSHOTS_SCRIPT = defineScript(
  'read-snapshots',
  `
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  local expires = nil
  if ok and type(entry) == 'table' then
    expires = tonumber(entry['e'])
  end
  if expires ~= nil and expires > now then
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live
`
);
