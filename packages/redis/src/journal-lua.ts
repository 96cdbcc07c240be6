import { luaScript } from './scripts.js';

// The journal's state in Redis, under KEYS (all in one hash slot: `{prefix}:...`):
//   KEYS[1] entries  hash   id -> {"e": entry JSON (fixed fields), "k": key, "v": version,
//                            "h": holders, "m": missing}
//   KEYS[2] bykey    hash   key -> JSON array of the ids of its pending entries
//   KEYS[3] order    zset   id scored by append sequence (pending() is oldest first)
//   KEYS[4] meta     hash   seq (append counter), backlog ((entry, missing target) pairs),
//                            version (bumped by every change, for cheap change detection),
//                            newest (the newest version of every entry ever appended, see
//                            NEWEST_VERSION), id (the journal's identity, set once by
//                            JOURNAL_ID: a Redis that lost its data gets a new one)
//   <tag>:hw:<key>   string {"v": version, "e": entry JSON} of the newest entry appended for
//                            the key (its high-water mark), expiring HIGH_WATER_RETENTION_MS
//                            after the key's last append (append's KEYS[5]; see highWater);
//                            also "a", "n": the version of the newest recorded (not intent)
//                            entry of the key and the targets it named, which an older entry
//                            appended later (a late merge) does not need
// When a key gets its first pending entry or loses its last one, `+key` or `-key` is published on
// the channel `<bykey>:events` (see watchPendingKeys).
// Every script returns the backlog after it ran (pending returns it first). Version strings are
// compared byte by byte (Lua's `<` follows the server's locale).
const COMMON = `
local entries, bykey, order, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function lt(a, b)
  if a == b then return false end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function load(id)
  local raw = redis.call('HGET', entries, id)
  if not raw then return nil end
  return cjson.decode(raw)
end
local function save(id, rec) redis.call('HSET', entries, id, cjson.encode(rec)) end
local function key_ids(key)
  local raw = redis.call('HGET', bykey, key)
  if not raw then return {} end
  return cjson.decode(raw)
end
local function set_key_ids(key, ids)
  if #ids == 0 then
    if redis.call('HDEL', bykey, key) == 1 then redis.call('PUBLISH', bykey .. ':events', '-' .. key) end
  elseif redis.call('HSET', bykey, key, cjson.encode(ids)) == 1 then
    redis.call('PUBLISH', bykey .. ':events', '+' .. key)
  end
end
local function drop(id, rec)
  redis.call('HDEL', entries, id)
  redis.call('ZREM', order, id)
  local kept = {}
  for _, other in ipairs(key_ids(rec.k)) do if other ~= id then table.insert(kept, other) end end
  set_key_ids(rec.k, kept)
  if #rec.m > 0 then redis.call('HINCRBY', meta, 'backlog', -#rec.m) end
end
local function backlog() return tonumber(redis.call('HGET', meta, 'backlog') or '0') end
`;

/**
 * The body of an append (a Lua function, so that a confirmed intent is appended by the same
 * rules): the journal's newest version, the mark at `hw` (kept `retention` ms), the entry
 * replacing a pending one of its id, superseding older entries of its key, or keeping only the
 * targets newer ones do not name.
 */
const APPEND_ENTRY = `
local function append_entry(id, key, version, holders, missing, intent, ejson, hw, retention)
local newest = redis.call('HGET', meta, 'newest')
if not newest or lt(newest, version) then redis.call('HSET', meta, 'newest', version) end
local existing = load(id)
-- The rule of JournalState in @failover/storage: an intent never replaces a pending acknowledged
-- entry of its id (a writer's failure record after another process confirmed the version).
if existing and intent and not existing.i then return backlog() end
redis.call('HINCRBY', meta, 'version', 1)
local mark = redis.call('GET', hw)
local m = nil
local replaces = true
if mark then
  -- The rule of replacesMark in @failover/storage: newer replaces; at the same version an entry
  -- that is not an intent does, and an intent only in place of its own intent.
  m = cjson.decode(mark)
  if lt(version, m.v) then
    replaces = false
  elseif version == m.v and intent then
    local me = cjson.decode(m.e)
    if me.id ~= id or not me.intent then replaces = false end
  end
end
local mentioned, named = {}, {}
for _, t in ipairs(holders) do mentioned[t] = true; table.insert(named, t) end
for _, t in ipairs(missing) do mentioned[t] = true; table.insert(named, t) end
-- The mark also keeps the newest recorded (not intent) write of the key, pending or settled: its
-- version (a) and the targets it named (n). An entry older than it needs none of those targets,
-- also once that write settled (it is then in no pending entry): another instance's entry merged
-- late from its local fallback after Redis was away.
local av, an = nil, nil
if m then av = m.a; an = m.n end
local superseded = {}
if av and lt(version, av) then for _, t in ipairs(an) do superseded[t] = true end end
if not intent and (not av or not lt(version, av)) then av = version; an = named end
local nm = replaces and { v = version, e = ejson } or m
if av then nm.a = av; nm.n = an end
redis.call('SET', hw, cjson.encode(nm), 'PX', retention)
if existing then drop(id, existing) end
for _, other in ipairs(key_ids(key)) do
  local rec = load(other)
  if rec then
    if lt(rec.v, version) and not intent then
      local kept, removed = {}, 0
      for _, t in ipairs(rec.m) do
        if mentioned[t] then removed = removed + 1 else table.insert(kept, t) end
      end
      if removed > 0 then
        if #kept == 0 then
          drop(other, rec)
        else
          rec.m = kept
          save(other, rec)
          redis.call('HINCRBY', meta, 'backlog', -removed)
        end
      end
    elseif lt(version, rec.v) and not rec.i then
      local named = {}
      for _, t in ipairs(rec.h) do named[t] = true end
      for _, t in ipairs(rec.m) do named[t] = true end
      local kept = {}
      for _, t in ipairs(missing) do if not named[t] then table.insert(kept, t) end end
      missing = kept
    end
  end
end
do
  local kept = {}
  for _, t in ipairs(missing) do if not superseded[t] then table.insert(kept, t) end end
  missing = kept
end
if #missing == 0 then return backlog() end
local seq = redis.call('HINCRBY', meta, 'seq', 1)
save(id, { e = ejson, k = key, v = version, h = holders, m = missing, i = intent })
redis.call('ZADD', order, seq, id)
local ids = key_ids(key)
table.insert(ids, id)
set_key_ids(key, ids)
return redis.call('HINCRBY', meta, 'backlog', #missing)
end
`;

/**
 * KEYS[5]: the key's high-water mark. ARGV: entry JSON, id, key, version, holders JSON, missing
 * JSON, intent ('1': an intent, which supersedes nothing and is no reason for an older entry to
 * drop a target), the mark's retention (ms).
 */
export const APPEND = luaScript(
  'append',
  `${COMMON}${APPEND_ENTRY}
return append_entry(ARGV[2], ARGV[3], ARGV[4], cjson.decode(ARGV[5]), cjson.decode(ARGV[6]),
  ARGV[7] == '1', ARGV[1], KEYS[5], ARGV[8])
`,
);

/**
 * Settles an intent (see `Journal.settleIntent`). ARGV: id, 'withdraw' or 'confirm', the prefix
 * of the marks' keys (`<tag>:hw:`, the same hash slot as KEYS), the mark's retention (ms).
 * Returns -1 when the entry is not a pending intent (nothing changed), else the backlog.
 */
export const SETTLE_INTENT = luaScript(
  'settle-intent',
  `${COMMON}${APPEND_ENTRY}
local id = ARGV[1]
local rec = load(id)
if not rec or not rec.i then return -1 end
if ARGV[2] == 'withdraw' then
  redis.call('HINCRBY', meta, 'version', 1)
  drop(id, rec)
  return backlog()
end
local e = cjson.decode(rec.e)
e.intent = nil
return append_entry(id, rec.k, rec.v, rec.h, rec.m, false, cjson.encode(e), ARGV[3] .. rec.k, ARGV[4])
`,
);

/** ARGV: id, target. */
export const RESOLVE = luaScript(
  'resolve',
  `${COMMON}
local id, target = ARGV[1], ARGV[2]
local rec = load(id)
if not rec then return backlog() end
local kept, found = {}, false
for _, t in ipairs(rec.m) do
  if t == target then found = true else table.insert(kept, t) end
end
if not found then return backlog() end
redis.call('HINCRBY', meta, 'version', 1)
if #kept == 0 then
  drop(id, rec)
else
  rec.m = kept
  table.insert(rec.h, target)
  save(id, rec)
  redis.call('HINCRBY', meta, 'backlog', -1)
end
return backlog()
`,
);

/** ARGV: key. Returns [backlog, record JSON...] of the key's pending entries. */
export const PENDING_OF = luaScript(
  'pending-of',
  `${COMMON}
local out = { backlog() }
for _, id in ipairs(key_ids(ARGV[1])) do
  local raw = redis.call('HGET', entries, id)
  if raw then table.insert(out, raw) end
end
return out
`,
);

/**
 * One page of the pending entries, oldest first. ARGV[1]: the append sequence to read after
 * (exclusive; "0" to start), ARGV[2]: how many entries. Returns {backlog, the sequence of the last
 * entry returned ("" when none), raw entries...}. A page is a short script, so reading a big
 * backlog never blocks the server for long (one script for 100,000 entries held every other
 * client's commands for about 300 ms).
 */
export const PENDING_PAGE = luaScript(
  'pending-page',
  `${COMMON}
local page = redis.call('ZRANGEBYSCORE', order, '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = { backlog(), '' }
if #page == 0 then return out end
local ids = {}
for i = 1, #page, 2 do table.insert(ids, page[i]) end
out[2] = page[#page]
local raws = redis.call('HMGET', entries, unpack(ids))
for _, raw in ipairs(raws) do if raw then table.insert(out, raw) end end
return out
`,
);

/**
 * One step of a lookup of the pending entries whose key starts with a prefix. ARGV[1]: prefix,
 * ARGV[2]: HSCAN cursor of `bykey` ("0" to start), ARGV[3]: how many fields to scan (COUNT),
 * ARGV[4]: the prefix as a MATCH pattern (its `*?[]\\` escaped, then `*`: the server drops the
 * other keys itself; the script checks the prefix again, byte by byte).
 * Returns {backlog, next cursor ("0" after the last step), raw entries of the matching keys...}.
 * Each step is short (one HSCAN batch), so a big backlog never blocks the server for long; a key
 * pending during the whole lookup is seen at least once (HSCAN's guarantee: repeats are possible,
 * the caller drops them by id).
 */
export const PENDING_UNDER = luaScript(
  'pending-under',
  `${COMMON}
local prefix, n = ARGV[1], #ARGV[1]
local scan = redis.call('HSCAN', bykey, ARGV[2], 'MATCH', ARGV[4], 'COUNT', ARGV[3])
local out = { backlog(), scan[1] }
local fields = scan[2]
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, n) == prefix then
    for _, id in ipairs(cjson.decode(fields[i + 1])) do
      local raw = redis.call('HGET', entries, id)
      if raw then table.insert(out, raw) end
    end
  end
end
return out
`,
);

/** No ARGV. Returns the backlog. */
export const BACKLOG = luaScript('backlog', `${COMMON}\nreturn backlog()\n`);

/**
 * Repair leases. KEYS: one lease key per object key. ARGV[1]: holder, ARGV[2]: ttl ms.
 * Returns 1/0 per key: taken (or already held by this holder, then extended) or held by another.
 */
export const LEASE = luaScript(
  'lease',
  `
local out = {}
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    out[i] = 1
  elseif redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`,
);

/**
 * Write leases (see `Journal.leaseWrite`). KEYS[1]: the object key's write lease key, KEYS[2]: its
 * high-water mark key. ARGV[1]: the write's token, ARGV[2]: ttl ms. Returns `{1, mark or false}`
 * when taken (or held by this token: extended), `{0, ms left}` when another token holds it.
 */
export const LEASE_WRITE = luaScript(
  'lease-write',
  `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {0, redis.call('PTTL', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('GET', KEYS[2])}
`,
);

/** KEYS[1]: one object key's lease key. Returns its holder, or nil. */
export const LEASE_HOLDER = luaScript('lease-holder', `return redis.call('GET', KEYS[1])`);

/** Releases the leases among KEYS that ARGV[1] holds. Returns how many it released. */
export const UNLEASE = luaScript(
  'unlease',
  `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
return n
`,
);

/**
 * No ARGV. Returns the newest version of every entry ever appended (`Journal.newestVersion`, kept
 * in the meta hash by every append), or nil.
 */
export const NEWEST_VERSION = luaScript('newest-version', `return redis.call('HGET', KEYS[4], 'newest')`);

/**
 * ARGV: a new random id. Sets the meta hash's `id` to it unless it holds one (HSETNX: the first
 * instance to ask creates it, every later one reads it) and returns the id it holds
 * (`Journal.journalId`). A Redis that lost the hash (a restart without persistence, a failover to
 * a replica that never had it) gets a new one at the next call.
 */
export const JOURNAL_ID = luaScript(
  'journal-id',
  `redis.call('HSETNX', KEYS[4], 'id', ARGV[1])
return redis.call('HGET', KEYS[4], 'id')`,
);

/** KEYS[1]: a key's high-water mark. Returns it (`{"v", "e"}` JSON) or nil. */
export const HIGH_WATER = luaScript('high-water', `return redis.call('GET', KEYS[1])`);

/** ARGV: key. Returns 1 when the key has a pending entry. */
export const HAS_PENDING = luaScript('has-pending', `return redis.call('HEXISTS', KEYS[2], ARGV[1])`);
