import Foundation

/// Times by the store's own clock: the `modified` a store gives a key just written (S3's
/// LastModified, a file's mtime). Leases and markers are compared by it alone, never by the
/// clocks of the machines writing them, which may disagree by minutes.
enum StoreClock {
    /// Writes `data` to `key` and returns the store's time of that write.
    static func put(_ data: Data, at key: String, in store: ObjectStore) throws -> Date {
        try store.put(key, from: DataReader(data))
        return try time(of: key, in: store)
    }

    /// The store's time of the last write of `key`.
    static func time(of key: String, in store: ObjectStore) throws -> Date {
        guard let entry = try store.entries(prefix: key).first(where: { $0.key == key }) else {
            throw DPMError.notFound("The store \(store.displayName) lost \(key) just after it was written; check that nothing else deletes from the store.")
        }
        return entry.modified
    }
}

/// A local clock that only goes forward, for how long ago something happened in this process
/// (a pause or a SIGSTOP shows in it; a change of the wall clock does not).
enum MonotonicClock {
    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
