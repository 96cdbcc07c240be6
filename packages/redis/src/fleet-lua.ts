import { luaScript } from './scripts.js';

// Every script that publishes stamps the message with Redis's clock (`"at"`: ms since the epoch,
// with microseconds), so a receiver can tell how late it applied it (FleetStatus.lastMessageDelayMs).
// The message is the client's JSON object: the stamp goes in before its closing brace.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function stamped(message)
  return string.sub(message, 1, -2) .. ',"at":' .. t[1] .. string.format('%06d', tonumber(t[2])) .. 'e-3}'
end
`;

/**
 * The end of a script that counts towards a fleet-wide opening (after ${NOW}): records the opening
 * in the breakers hash KEYS[2], publishes it and returns 1. Its arguments are ARGV[at] on: target,
 * record JSON (without `until`), ttl ms, channel, message.
 */
function opens(at: number): string {
  const arg = (i: number): string => `ARGV[${at + i}]`;
  return `local rec = cjson.decode(${arg(1)})
rec['until'] = now + tonumber(${arg(2)})
redis.call('HSET', KEYS[2], ${arg(0)}, cjson.encode(rec))
redis.call('PUBLISH', ${arg(3)}, stamped(${arg(4)}))
return 1`;
}

/**
 * Records that a target's breaker opened fleet-wide until server time + ttl and publishes it.
 * KEYS[1]: the breakers hash. ARGV: target, record JSON (without `until`), ttl ms, channel, message.
 */
export const OPENED = luaScript(
  'fleet-opened',
  `${NOW}
local rec = cjson.decode(ARGV[2])
rec['until'] = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
return redis.call('PUBLISH', ARGV[4], stamped(ARGV[5]))
`,
);

/** Forgets a target's fleet-wide opening and publishes its closing. KEYS[1]: breakers. ARGV: target, channel, message. */
export const CLOSED = luaScript(
  'fleet-closed',
  `${NOW}
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('PUBLISH', ARGV[2], stamped(ARGV[3]))
`,
);

/** The targets open fleet-wide now: [target, record JSON, ...]; drops expired ones. KEYS[1]: breakers. */
export const OPEN_NOW = luaScript(
  'fleet-open-now',
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local rec = cjson.decode(all[i + 1])
  if tonumber(rec['until'] or 0) > now then
    table.insert(out, all[i])
    table.insert(out, all[i + 1])
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
`,
);

/**
 * Takes (or extends) one of the probe lease slots KEYS[1..n] for ARGV[1] (the instance id) for
 * ARGV[2] ms. Returns the slot's number (1-based), or 0 when every slot is held by others.
 */
export const ACQUIRE = luaScript(
  'fleet-acquire',
  `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    return i
  end
end
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then return i end
end
return 0
`,
);

/** Releases ARGV[1]'s lease among KEYS[1..n]. */
export const RELEASE = luaScript(
  'fleet-release',
  `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 0
`,
);

/**
 * Counts one availability failure of a target, fleet-wide (the count ends with any instance's next
 * success, see SUCCEEDED, or ARGV[2] ms after its first failure). When it reaches ARGV[1], records
 * the opening and publishes it like OPENED and returns 1. A report that reaches Redis more than
 * ARGV[2] ms after the instance sent it (by the instance's clock, ARGV[8]: Redis was paused or
 * slow) is dropped and returns -1: failures that old may have been followed by successes whose
 * reports were held up with them, and must not eject a target that works.
 * KEYS[1]: the failure counter, KEYS[2]: the breakers hash, KEYS[3] (optional): a counter this
 * failure ends (the count of failures that proved the target unreachable, ended by any other).
 * ARGV: threshold, window ms, target, record JSON, ttl ms, channel, message, sent at (ms).
 */
export const FAILED = luaScript(
  'fleet-failed',
  `${NOW}
if now - tonumber(ARGV[8]) > tonumber(ARGV[2]) then return -1 end
if KEYS[3] then redis.call('DEL', KEYS[3]) end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n ~= tonumber(ARGV[1]) then return 0 end
${opens(3)}
`,
);

/**
 * Counts one failure of a target that suggests it is gone, fleet-wide, in a row: a connection
 * refused or never made (ARGV[9] = '1': it proves the target unreachable) or reset before any
 * answer ('0'). The row is a hash at KEYS[1] (`n`, and `proof` once a failure proved it) that ends
 * ARGV[2] ms after its first failure, with any success (SUCCEEDED) or any other failure (DEL).
 * When it holds ARGV[1] failures and at least one proof, records the opening, publishes it like
 * OPENED, ends the row and returns 1; otherwise 0. Resets alone never open: a keep-alive race can
 * reset a connection to a healthy target. A late report (see FAILED) returns -1.
 * KEYS[1]: the row, KEYS[2]: the breakers hash.
 * ARGV: threshold, window ms, target, record JSON, ttl ms, channel, message, sent at (ms), proof.
 */
export const CONNECT_FAILED = luaScript(
  'fleet-connect-failed',
  `${NOW}
if now - tonumber(ARGV[8]) > tonumber(ARGV[2]) then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if ARGV[9] == '1' then redis.call('HSET', KEYS[1], 'proof', '1') end
if n < tonumber(ARGV[1]) or redis.call('HEXISTS', KEYS[1], 'proof') == 0 then return 0 end
redis.call('DEL', KEYS[1])
${opens(3)}
`,
);

/** Ends the fleet-wide failure counts of a target (a success). KEYS: the failure counters. */
export const SUCCEEDED = luaScript('fleet-succeeded', `return redis.call('DEL', unpack(KEYS))`);

/**
 * Counts one instance's own-judgement ejection of a target (an opening with no failure behind it,
 * such as the multi-cloud store's `unresponsive` rule), fleet-wide: the instances that ejected it
 * are kept in a set that ends ARGV[2] ms after its first member. When ARGV[3] distinct instances
 * are in it, records the opening and publishes it like OPENED, forgets the set and returns 1;
 * otherwise returns 0. A report that reaches Redis more than ARGV[2] ms after the instance sent it
 * (by its clock, ARGV[8]) is dropped and returns -1.
 * KEYS[1]: the set of ejecting instances, KEYS[2]: the breakers hash.
 * ARGV: instance id, window ms, quorum, target, record JSON, ttl ms, channel, message, sent at (ms).
 */
export const EJECTED = luaScript(
  'fleet-ejected',
  `${NOW}
if now - tonumber(ARGV[9]) > tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
${opens(4)}
`,
);
