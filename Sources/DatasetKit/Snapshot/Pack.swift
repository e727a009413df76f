import Foundation

/// Where a small object lives when it travels in a pack (format 3): the pack object's id and
/// where the object's stored bytes begin in it. They run for the object's stored size, and are
/// byte for byte what the object would be stored as on its own, so a copy cut out of the pack
/// is read, verified and cached as the object itself.
public struct PackedAt: Codable, Sendable, Equatable, Hashable {
    public var pack: String
    public var offset: Int64

    public init(pack: String, offset: Int64) {
        self.pack = pack
        self.offset = offset
    }

    /// Where the object's bytes end: a pack shorter than this cannot hold it.
    public func end(storedSize: Int64) -> Int64 { offset + storedSize }
}

/// A pack object: small objects' stored bytes one after another, then an index of them (so a
/// pack downloaded whole can be split into its objects without the record that named it), then
/// the index's length as 8 bytes big-endian and the magic `dpmpack1`. The index comes last
/// because the members' offsets are known as they are added, before the pack is complete. A
/// pack's name is random, not the id of its content: a record names its members' places in it
/// before it is written.
public enum PackFormat {
    public static let magic = Data("dpmpack1".utf8)

    /// One member as the pack's index lists it.
    public struct Member: Codable, Sendable, Equatable {
        public var id: String
        public var offset: Int64
        public var storedSize: Int64

        public init(id: String, offset: Int64, storedSize: Int64) {
            self.id = id
            self.offset = offset
            self.storedSize = storedSize
        }
    }

    /// The index and trailer that end a pack whose members are `members`.
    public static func trailer(for members: [Member]) throws -> Data {
        var data = try CanonicalJSON.encode(members)
        var length = UInt64(data.count).bigEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(magic)
        return data
    }

    /// The members a whole pack's bytes list, checked to lie inside the bytes before the index.
    public static func members(of pack: Data, what: String) throws -> [Member] {
        func malformed(_ reason: String) -> DPMError { DPMError.corrupt("The pack \(what) is malformed: \(reason).") }
        let footer = 8 + magic.count
        guard pack.count >= footer, pack.suffix(magic.count) == magic else { throw malformed("it does not end with dpm's pack trailer") }
        let lengthBytes = pack.dropLast(magic.count).suffix(8)
        let length = lengthBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(pack.count - footer) else { throw malformed("its index is longer than the pack") }
        let indexStart = pack.count - footer - Int(length)
        let members = try CanonicalJSON.decode([Member].self, from: Data(pack[pack.startIndex + indexStart ..< pack.endIndex - footer]),
                                               what: "The index of pack \(what)")
        for member in members {
            guard SHA256Hex.isValid(member.id) else { throw malformed("\"\(member.id)\" is not an object id") }
            guard member.offset >= 0, member.storedSize > 0, member.offset + member.storedSize <= Int64(indexStart) else {
                throw malformed("object \(member.id) does not lie inside it")
            }
        }
        return members
    }
}
