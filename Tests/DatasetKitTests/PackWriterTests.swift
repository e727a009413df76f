@testable import DatasetKit
import Foundation
import XCTest

/// `PackWriter` and `PackFormat` over a store in memory: members are placed where their bytes
/// are, a pack is put when it reaches its size and the rest by `finish`, one content is placed
/// once, a recorded place is reused only while its pack is long enough and the member is not
/// marked damaged, and a pack's own index lists exactly its members; reads cut a member out of
/// its pack, with and without a download cache.
final class PackWriterTests: XCTestCase {
    private var cacheFolder: String!

    override func setUpWithError() throws {
        cacheFolder = NSTemporaryDirectory() + "dpm-packs-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: cacheFolder) }

    private static func content(_ number: Int, bytes: Int = 3000) -> Data {
        var state = UInt64(number) &* 0x9E3779B97F4A7C15
        return Data((0..<bytes).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
    }

    private func packKeys(in store: MemoryStore) -> [String] { store.objects.current.keys.sorted() }

    func testMembersArePlacedWhereTheirBytesAreAndPacksAreCutAtTheirSize() throws {
        let store = MemoryStore()
        let packs = PackWriter(store: store, recorded: [:], memberLimit: 8 << 10, targetSize: 10_000)
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec()).packing(into: packs)
        var stored: [ObjectTransfer.Stored] = []
        for number in 0..<7 { stored.append(try transfer.storePacked(Self.content(number), in: packs)) }
        XCTAssertEqual(store.objects.current.count, 1, "four members of 3000 bytes reach 10,000 bytes; three are pending")
        let again = try transfer.storePacked(Self.content(3), in: packs)
        XCTAssertFalse(again.isNew)
        XCTAssertEqual(again.packedAt, stored[3].packedAt, "one content is placed once")
        let sizes = try packs.finish()
        XCTAssertEqual(store.objects.current.count, 2)
        XCTAssertEqual(Set(sizes.keys), Set(stored.compactMap(\.packedAt?.pack)))
        for (number, member) in stored.enumerated() {
            let place = try XCTUnwrap(member.packedAt)
            let pack = try XCTUnwrap(store.objects.current[StoreLayout.objectKey(place.pack)])
            XCTAssertEqual(sizes[place.pack], Int64(pack.count))
            XCTAssertEqual(pack[Int(place.offset)..<Int(place.end(storedSize: member.storedSize))], Self.content(number))
            let index = try PackFormat.members(of: pack, what: place.pack)
            XCTAssertTrue(index.contains(PackFormat.Member(id: member.sha256, offset: place.offset, storedSize: member.storedSize)))
            // Read back without a cache: its range of the pack, verified.
            let artifact = Artifact(path: "\(number).dat", sha256: member.sha256, size: member.size, storedSize: member.storedSize, pack: place)
            let sink = DataWriter()
            try transfer.read(artifact, into: sink)
            XCTAssertEqual(sink.data, Self.content(number))
        }
        XCTAssertEqual(Set(try stored.map { try PackFormat.members(of: store.objects.current[StoreLayout.objectKey($0.packedAt!.pack)]!, what: "") }
            .flatMap { $0 }.map(\.id)), Set(stored.map(\.sha256)), "the indexes list every member, once")
    }

    func testARecordedPlaceIsReusedOnlyWhileItsPackHoldsItAndItIsNotMarked() throws {
        let store = MemoryStore()
        let first = PackWriter(store: store, recorded: [:], memberLimit: 8 << 10)
        let transfer = ObjectTransfer(store: store, codec: IdentityCodec())
        let placed = try (0..<3).map { try transfer.storePacked(Self.content($0), in: first) }
        _ = try first.finish()
        let recorded = Dictionary(uniqueKeysWithValues: placed.map { ($0.sha256, PackWriter.Recorded(at: $0.packedAt!, storedSize: $0.storedSize)) })

        let second = PackWriter(store: store, recorded: recorded, memberLimit: 8 << 10)
        let reused = try transfer.storePacked(Self.content(1), in: second)
        XCTAssertFalse(reused.isNew)
        XCTAssertEqual(reused.packedAt, placed[1].packedAt)
        // A member verify marked is mended where it is: its pack gets the good bytes back.
        let key = StoreLayout.objectKey(placed[0].packedAt!.pack)
        let flipAt = Int(placed[2].packedAt!.offset) + 7
        store.objects.withValue { $0[key]![flipAt] ^= 0x5A }
        let marked = ObjectTransfer(store: store, codec: IdentityCodec(), damaged: [placed[2].sha256])
        let mended = try marked.storePacked(Self.content(2), in: second)
        XCTAssertTrue(mended.isNew)
        XCTAssertEqual(mended.replacedSize, placed[2].storedSize)
        XCTAssertEqual(mended.packedAt, placed[2].packedAt)
        XCTAssertEqual(store.objects.current[key]![Int(placed[2].packedAt!.offset)..<Int(placed[2].packedAt!.end(storedSize: placed[2].storedSize))],
                       Self.content(2))
        XCTAssertFalse(marked.isMarkedDamaged(placed[2].sha256))
        XCTAssertEqual(try second.finish().keys.sorted(), [placed[1].packedAt!.pack])
        // Stored at another length (another codec level), a marked member goes into a new pack.
        let longer = ObjectTransfer(store: store, codec: PaddingCodec(), damaged: [placed[0].sha256])
        let fourth = PackWriter(store: store, recorded: recorded, memberLimit: 8 << 10)
        let moved = try longer.storePacked(Self.content(0), in: fourth)
        XCTAssertTrue(moved.isNew)
        XCTAssertNotEqual(moved.packedAt?.pack, placed[0].packedAt?.pack)
        _ = try fourth.finish()

        // A pack cut short no longer holds its last member: that one is placed anew.
        store.objects.withValue { $0[key] = $0[key]!.prefix(Int(placed[2].packedAt!.offset) + 10) }
        let third = PackWriter(store: store, recorded: recorded, memberLimit: 8 << 10)
        XCTAssertFalse(try transfer.storePacked(Self.content(1), in: third).isNew)
        XCTAssertTrue(try transfer.storePacked(Self.content(2), in: third).isNew)
    }

    /// With a cache, the first read of any member downloads the whole pack once and admits every
    /// member; a damaged member fails only its own read.
    func testACachedReadFetchesThePackOnceAndAdmitsEveryMember() throws {
        let store = MemoryStore()
        let packs = PackWriter(store: store, recorded: [:], memberLimit: 8 << 10)
        let writer = ObjectTransfer(store: store, codec: IdentityCodec())
        let placed = try (0..<4).map { try writer.storePacked(Self.content($0), in: packs) }
        _ = try packs.finish()
        let packKey = StoreLayout.objectKey(placed[0].packedAt!.pack)
        store.objects.withValue { $0[packKey]![Int(placed[3].packedAt!.offset) + 5] ^= 0x5A }
        let reader = ObjectTransfer(store: store, codec: IdentityCodec(), cache: try ObjectCache(root: cacheFolder))
        let opensBefore = store.opens.current
        for (number, member) in placed.enumerated() {
            let artifact = Artifact(path: "\(number).dat", sha256: member.sha256, size: member.size, storedSize: member.storedSize,
                                    pack: member.packedAt)
            let sink = DataWriter()
            if number == 3 {
                XCTAssertThrowsError(try reader.read(artifact, into: sink)) { error in
                    XCTAssertTrue((error as? DPMError)?.message.contains("is corrupt") == true, "\(error)")
                }
            } else {
                try reader.read(artifact, into: sink)
                XCTAssertEqual(sink.data, Self.content(number))
            }
        }
        XCTAssertEqual(store.opens.current - opensBefore, 2, "one download for the three good members, one more for the damaged one")
    }

    func testAMalformedPackIndexIsRefused() throws {
        let members = [PackFormat.Member(id: String(repeating: "a", count: 64), offset: 0, storedSize: 4)]
        let good = Data("abcd".utf8) + (try PackFormat.trailer(for: members))
        XCTAssertEqual(try PackFormat.members(of: good, what: "p"), members)
        XCTAssertThrowsError(try PackFormat.members(of: good.dropLast(), what: "p"))
        let beyond = Data("ab".utf8) + (try PackFormat.trailer(for: members))
        XCTAssertThrowsError(try PackFormat.members(of: beyond, what: "p")) { error in
            XCTAssertTrue("\(error)".contains("does not lie inside it"), "\(error)")
        }
    }
}

/// Stores each content with one byte more in front, as another compression level would give
/// another length.
private struct PaddingCodec: CompressionCodec {
    var name: String { "padding" }
    func compressing(_ source: ByteReader) throws -> ByteReader { DataReader(Data([0]) + (try source.readAll())) }
    func decompressing(_ source: ByteReader) throws -> ByteReader { DataReader(Data(try source.readAll().dropFirst())) }
}
