/**
 * The window's state lives in Redis so that every worker process shares it, and changes only through these
 * scripts, each atomic. Times come from Redis' own clock (`TIME`), not from the hosts', which may disagree.
 *
 * Per account:
 * - a hash: `window` (requests allowed in flight, fractional), `limit` (the limit Twilio last showed: the
 *   requests in flight when it answered 429, less that one), `epoch` (counts cuts), `pausedUntil` (ms, from
 *   `Retry-After`), `cuts` (429s that cut the window), `limited` (every 429), `answered`;
 * - a sorted set of the requests in flight, each scored by the end of its lease, so that the slots of a
 *   process that died come back on their own.
 */

const now = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: state, held, accounts. ARGV: token, leaseMs, ceiling, initial window, account SID.
 * Returns {1, position, epoch} when a slot is taken (`position`: requests in flight counting this one),
 * {0, waitMs} when paused by Retry-After, {0, 0} when the window is full.
 */
export const acquireScript = `${now}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local ceiling = tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'window', 'pausedUntil', 'epoch')
local window = tonumber(s[1])
if not window then
  window = math.min(tonumber(ARGV[4]), ceiling)
  redis.call('HSET', KEYS[1], 'window', tostring(window), 'epoch', 0)
  redis.call('SADD', KEYS[3], ARGV[5])
elseif window > ceiling then
  window = ceiling
  redis.call('HSET', KEYS[1], 'window', tostring(window))
end
local paused = tonumber(s[2]) or 0
if paused > now then return {0, paused - now} end
local held = redis.call('ZCARD', KEYS[2])
if held >= math.floor(window) then return {0, 0} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return {1, held + 1, tonumber(s[3]) or 0}`;

/** KEYS: held. ARGV: token, leaseMs. Extends a lease still held; 0 when it was lost. */
export const renewScript = `${now}
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])`;

/**
 * KEYS: state, held. ARGV: token, outcome (`clean`, `limited`, `other`), position, epoch, retryAfterMs,
 * ceiling, probe, channel, account SID.
 *
 * - `clean` (an answer that is not an error of Twilio's): below the known limit (or with none known) the
 *   window grows by 1/window, about one more request per window of answers; at or above it, `probe` times
 *   slower, so that a rise of the limit is found without knocking on it often.
 * - `limited` (429): the requests in flight when this one was sent, less itself, were accepted: the window
 *   drops to that, not to half. Only the first 429 of an epoch cuts: answers to requests sent before the
 *   cut say nothing about the new window. A Retry-After pauses the account.
 * - `other` (5xx, a timeout, a reset): says nothing about the limit; no change.
 */
export const releaseScript = `${now}
redis.call('ZREM', KEYS[2], ARGV[1])
local outcome = ARGV[2]
local ceiling = tonumber(ARGV[6])
local s = redis.call('HMGET', KEYS[1], 'window', 'epoch', 'limit')
local window = math.min(tonumber(s[1]) or 1, ceiling)
local epoch = tonumber(s[2]) or 0
local limit = tonumber(s[3])
if outcome == 'clean' then
  redis.call('HINCRBY', KEYS[1], 'answered', 1)
  if window < ceiling then
    if limit == nil or window < limit then
      window = window + 1 / window
    else
      window = window + 1 / (window * tonumber(ARGV[7]))
    end
    redis.call('HSET', KEYS[1], 'window', tostring(math.min(window, ceiling)))
  end
elseif outcome == 'limited' then
  redis.call('HINCRBY', KEYS[1], 'answered', 1)
  redis.call('HINCRBY', KEYS[1], 'limited', 1)
  if tonumber(ARGV[4]) == epoch then
    local accepted = math.max(1, tonumber(ARGV[3]) - 1)
    redis.call('HSET', KEYS[1], 'window', tostring(math.min(window, accepted)), 'limit', accepted,
      'epoch', epoch + 1, 'cutAt', now)
    redis.call('HINCRBY', KEYS[1], 'cuts', 1)
  end
  local retryAfter = tonumber(ARGV[5])
  if retryAfter > 0 then
    local paused = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
    if now + retryAfter > paused then redis.call('HSET', KEYS[1], 'pausedUntil', now + retryAfter) end
  end
end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return 1`;

/** KEYS: state, held. Drops expired leases, then reads: window, limit, pausedUntil, cuts, limited, answered, held, now. */
export const readScript = `${now}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local s = redis.call('HMGET', KEYS[1], 'window', 'limit', 'pausedUntil', 'cuts', 'limited', 'answered')
return {s[1] or false, s[2] or false, s[3] or false, s[4] or false, s[5] or false, s[6] or false,
  redis.call('ZCARD', KEYS[2]), now}`;
