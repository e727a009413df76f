import Archive
import Foundation
import DatasetKit
import ObjectStore

/// Direct access to a test project's store, for tests that inspect or tamper with objects.
enum LocalStoreAccess {
    static let codec = ZstdCodec()

    static func open(_ root: String) throws -> ObjectStore { try LocalDirectoryStore(root: root) }
}

extension LocalStoreAccess {
    /// Where the stored bytes of object `id` are in the store at `root`: its own file, or its
    /// range of the pack whose index lists it.
    static func storedBytes(of id: String, in root: String) throws -> (path: String, range: Range<Int>) {
        let own = "\(root)/\(StoreLayout.objectKey(id))"
        if FileManager.default.fileExists(atPath: own) { return (own, 0..<Int(FileSize.of(own))) }
        let store = try open(root)
        for key in try store.list(prefix: "objects/") {
            let bytes = try store.open(key).readAll()
            guard let members = try? PackFormat.members(of: bytes, what: key), let member = members.first(where: { $0.id == id }) else { continue }
            return ("\(root)/\(key)", Int(member.offset)..<Int(member.offset + member.storedSize))
        }
        throw DPMError.notFound("The store \(root) holds no object \(id), on its own or in a pack.")
    }

    /// The stored bytes of object `id` (see `storedBytes(of:in:)`).
    static func bytes(of id: String, in root: String) throws -> Data {
        let place = try storedBytes(of: id, in: root)
        return try Data(contentsOf: URL(fileURLWithPath: place.path))[place.range]
    }
}

extension LocalStoreAccess {
    /// The plaintext of every object of the plaintext store at `root`, packed members included, by id.
    static func plaintexts(in root: String) throws -> [String: Data] {
        let store = try open(root)
        var texts: [String: Data] = [:]
        for key in try store.list(prefix: "objects/") {
            let bytes = try store.open(key).readAll(limit: 1 << 30)
            let members = (try? PackFormat.members(of: bytes, what: key)) ?? []
            let parts = members.isEmpty ? [(String(key.split(separator: "/").last ?? ""), bytes)]
                : members.map { ($0.id, bytes[Int($0.offset)..<Int($0.offset + $0.storedSize)]) }
            for (id, stored) in parts {
                texts[id] = try codec.decompressing(DataReader(Data(stored))).readAll(limit: 1 << 30)
            }
        }
        return texts
    }
}
