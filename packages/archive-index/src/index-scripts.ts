/**
 * The index's writes, each one Lua script so that an entry and its places in the sorted sets change
 * together or not at all. Every key a script touches is passed in KEYS (Redis Cluster routes and checks
 * by them). Which sorted sets hold an entry's old member depends on the entry as it is now, so the caller
 * reads it first and passes its fingerprint; a script that finds another fingerprint changes nothing and
 * answers -1, and the caller reads again (optimistic concurrency, without WATCH and its own connection).
 */

/** `a|d|c|n` of an entry hash (account, date, call, conference), empty parts for absent fields. */
const FINGERPRINT = `
local function fingerprint(key)
  local f = redis.call('HMGET', key, 'a', 'd', 'c', 'n')
  return (f[1] or '') .. '|' .. (f[2] or '') .. '|' .. (f[3] or '') .. '|' .. (f[4] or '')
end
`;

/**
 * KEYS[1] entry hash, KEYS[2] accounts set, then ARGV[2] sets to take the old member out of, then the sets
 * to put the new member in. ARGV[1] expected fingerprint, ARGV[3] old member, ARGV[4] new member, ARGV[5]
 * account, ARGV[6..] the entry's fields and values. The entry gets `t`, the time it was indexed in Redis's
 * own clock (milliseconds), which a rebuild compares with the time it started.
 */
export const PUT_SCRIPT = `${FINGERPRINT}
if fingerprint(KEYS[1]) ~= ARGV[1] then return -1 end
local removeCount = tonumber(ARGV[2])
for i = 3, 2 + removeCount do redis.call('ZREM', KEYS[i], ARGV[3]) end
redis.call('DEL', KEYS[1])
local now = redis.call('TIME')
local t = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
redis.call('HSET', KEYS[1], 't', t, unpack(ARGV, 6))
for i = 3 + removeCount, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[4]) end
redis.call('SADD', KEYS[2], ARGV[5])
return 1
`;

/**
 * KEYS[1] entry hash, KEYS[2] accounts set, KEYS[3] the account's set, KEYS[4..] its call and conference
 * sets. ARGV[1] expected fingerprint, ARGV[2] member, ARGV[3] account, ARGV[4] remove only if indexed
 * before this time in milliseconds ('' for always). Answers 1 removed, 0 nothing to remove (or indexed
 * since), -1 changed meanwhile.
 */
export const REMOVE_SCRIPT = `${FINGERPRINT}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if fingerprint(KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[4] ~= '' then
  local t = redis.call('HGET', KEYS[1], 't')
  if t and tonumber(t) >= tonumber(ARGV[4]) then return 0 end
end
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
redis.call('DEL', KEYS[1])
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return 1
`;
