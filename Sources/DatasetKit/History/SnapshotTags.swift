import Foundation

/// The tags of one profile in the store. Never cached: unlike snapshot records, a tag can move.
public struct SnapshotTags: Sendable {
    let store: ObjectStore
    let profile: ProfileName
    /// Reads in flight at once when every tag is read: they wait on the store, not the CPU.
    var width = 32

    public init(store: ObjectStore, profile: ProfileName) {
        self.store = store
        self.profile = profile
    }

    /// The tag `name`, or nil when the store has none of that name.
    public func tag(_ name: TagName) throws -> TagRecord? {
        let key = StoreLayout.tagKey(profile: profile.value, name: name.value)
        let data: Data
        do {
            data = try store.open(key).readAll()
        } catch let error as DPMError where error.kind == .notFound {
            return nil
        }
        let what = "The tag record \(key)"
        let record = try CanonicalJSON.decode(TagRecord.self, from: data, what: what)
        try record.validate(what: what, name: name, profile: profile)
        return record
    }

    /// Names of the profile's tags in the store, sorted; keys that are no tag dpm names are skipped.
    public func names() throws -> [TagName] {
        try store.list(prefix: StoreLayout.tagPrefix(profile: profile.value)).compactMap { key in
            let file = FilePath.lastComponent(key)
            guard file.hasSuffix(".json") else { return nil }
            return try? TagName(String(file.dropLast(5)))
        }.sorted()
    }

    /// Every tag, read in parallel; `unreadable` gets the sentence of each one that cannot be read.
    public func all(unreadable: @escaping @Sendable (String) -> Void = { _ in }) throws -> [TagRecord] {
        let found = Locked([TagRecord]())
        try concurrentForEach(try names(), width: width) { name in
            do {
                if let record = try tag(name) { found.withValue { $0.append(record) } }
            } catch let error as DPMError where error.kind == .corrupt {
                unreadable(error.message)
            }
        }
        return found.current.sorted { $0.name < $1.name }
    }

    /// Writes `record` only if no tag of its name exists; fails with a `.conflict` otherwise.
    func create(_ record: TagRecord) throws {
        try write(record, overwrite: false)
    }

    /// Writes `record` over whatever tag of its name there is.
    func replace(_ record: TagRecord) throws {
        try write(record, overwrite: true)
    }

    private func write(_ record: TagRecord, overwrite: Bool) throws {
        let json = try CanonicalJSON.encode(record)
        try store.put(StoreLayout.tagKey(profile: profile.value, name: record.name), from: DataReader(json),
                      expectedSHA256: SHA256Hex.of(json), overwrite: overwrite)
    }
}
