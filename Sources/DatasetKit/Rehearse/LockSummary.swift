import Foundation

/// The locks one table was seen held in, from the samples: each mode, for how long.
public struct TableLocks: Codable, Sendable, Equatable {
    public struct Held: Codable, Sendable, Equatable {
        /// PostgreSQL's name, e.g. "AccessExclusiveLock".
        public var mode: String
        /// How long it was held, estimated from the samples: for each run of consecutive
        /// samples that saw it, the time from the first to the last plus one interval
        /// (the truth lies within one interval of that).
        public var seconds: Double
        /// How many samples saw it; 0 for a lock seen only at a one-transaction file's commit
        /// (held for less than the sampling interval; `seconds` is then 0).
        public var samples: Int
    }

    public var table: String
    /// Modes seen, weakest first.
    public var modes: [Held]
    /// The strongest of them.
    public var strongest: String
}

/// PostgreSQL's table lock modes, weakest first, and what the samples say of them.
enum LockSummary {
    static let modes = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
                        "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]

    /// Per table, the modes held; `names` resolves oids the sampler could not name (tables the
    /// change created in its still open transaction); a table it dropped keeps its oid.
    /// `atCommit`: the locks a one-transaction file held at its end, which include any too short-lived for the samples.
    static func tables(_ samples: [LockSampler.Sample], atCommit: [LockSampler.Held] = [], interval: Double,
                       names: [String: String]) -> [TableLocks] {
        struct Key: Hashable { let oid: String; let mode: String }
        var seen: [Key: [Int]] = [:]
        var sampledName: [String: String] = [:]
        for (index, sample) in samples.enumerated() {
            for held in Set(sample.locks) {
                seen[Key(oid: held.oid, mode: held.mode), default: []].append(index)
                if !held.name.isEmpty { sampledName[held.oid] = held.name }
            }
        }
        for held in atCommit {
            if seen[Key(oid: held.oid, mode: held.mode)] == nil { seen[Key(oid: held.oid, mode: held.mode)] = [] }
            if !held.name.isEmpty { sampledName[held.oid] = held.name }
        }
        var byTable: [String: [TableLocks.Held]] = [:]
        for (key, indexes) in seen {
            var seconds = 0.0
            guard let first = indexes.first else {
                // Seen only at the commit: held for less than an interval.
                let name = names[key.oid] ?? sampledName[key.oid] ?? "relation \(key.oid)"
                byTable[display(name), default: []].append(TableLocks.Held(mode: key.mode, seconds: 0, samples: 0))
                continue
            }
            var runStart = first, previous = first
            for index in indexes.dropFirst() + [Int.max] {
                if index != previous + 1 {
                    seconds += samples[previous].time - samples[runStart].time + interval
                    runStart = index
                }
                previous = index
            }
            let name = names[key.oid] ?? sampledName[key.oid] ?? "relation \(key.oid) (dropped)"
            byTable[display(name), default: []].append(TableLocks.Held(mode: key.mode, seconds: seconds, samples: indexes.count))
        }
        return byTable.keys.sorted().map { table in
            let held = byTable[table]!.sorted { rank($0.mode) < rank($1.mode) }
            return TableLocks(table: table, modes: held, strongest: held.last!.mode)
        }
    }

    private static func rank(_ mode: String) -> Int { modes.firstIndex(of: mode) ?? -1 }

    /// Tables in `public` go by their bare name, as everywhere else in dpm's output.
    static func display(_ name: String) -> String { name.hasPrefix("public.") ? String(name.dropFirst(7)) : name }
}
