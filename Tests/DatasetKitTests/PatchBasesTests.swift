@testable import DatasetKit
import XCTest

/// How an upload chooses the older chunk a changed chunk is patched against.
final class PatchBasesTests: XCTestCase {
    private static func id(_ number: Int) -> String { String(repeating: String(number % 10), count: 64) }

    private static func older(_ sizes: [Int64]) -> [Chunk] {
        sizes.enumerated().map { Chunk(id: id($0.offset), size: $0.element, storedSize: $0.element / 2, head: "head\($0.offset)") }
    }

    func testAChunkWithAnOlderOnesHeadIsPatchedAgainstIt() {
        let bases = PatchBases(Self.older([100, 100, 100, 100]))
        XCTAssertEqual(bases.base(forHead: "head0", size: 99), Self.id(0))
        XCTAssertEqual(bases.base(forHead: "head1", size: 98), Self.id(1))
        // A chunk whose first bytes changed continues in step: the third older chunk.
        XCTAssertEqual(bases.base(forHead: "changed", size: 100), Self.id(2))
        XCTAssertEqual(bases.base(forHead: "head3", size: 100), Self.id(3))
        // Past the older content's end there is nothing to patch against.
        XCTAssertNil(bases.base(forHead: "new rows", size: 100))
    }

    func testAChunkSplitInTwoPatchesBothHalvesAgainstTheOlderChunk() {
        let bases = PatchBases(Self.older([100, 400, 100]))
        XCTAssertEqual(bases.base(forHead: "head0", size: 100), Self.id(0))
        XCTAssertEqual(bases.base(forHead: "head1", size: 150), Self.id(1))
        // A boundary appeared inside the second older chunk: the rest of it follows.
        XCTAssertEqual(bases.base(forHead: "middle of 1", size: 250), Self.id(1))
        XCTAssertEqual(bases.base(forHead: "end of 1?", size: 100), Self.id(2))
    }

    func testTwoChunksMergedSkipTheOneTheyAbsorbed() {
        let bases = PatchBases(Self.older([100, 100, 100, 100]))
        XCTAssertEqual(bases.base(forHead: "head0", size: 200), Self.id(0))
        // The merged chunk reached through the second older one: the next starts at the third.
        XCTAssertEqual(bases.base(forHead: "changed", size: 100), Self.id(2))
    }

    func testAPatchedChunksBaseIsTheWholeChunkItWasPatchedAgainst() {
        var chunks = Self.older([100, 100])
        chunks[1] = Chunk(id: Self.id(7), size: 100, storedSize: 5, base: Self.id(8), content: Self.id(9), head: "head1")
        let bases = PatchBases(chunks)
        XCTAssertEqual(bases.base(forHead: "head0", size: 100), Self.id(0))
        XCTAssertEqual(bases.base(forHead: "head1", size: 100), Self.id(8), "a base is always whole")
    }

    func testSourcesKnowThePatchedChunksByContent() {
        let patched = Chunk(id: Self.id(7), size: 100, storedSize: 5, base: Self.id(8), content: Self.id(9), head: "h")
        let sources = PatchSources(lists: ["public.events": Self.older([100]) + [patched]])
        XCTAssertEqual(sources.patchedByContent[Self.id(9)], patched)
        XCTAssertNil(sources.patchedByContent[Self.id(0)], "a whole chunk is found by its own id")
        XCTAssertNotNil(sources.bases(for: "public.events"))
        XCTAssertNil(sources.bases(for: "public.other"))
        XCTAssertNil(sources.bases(for: nil))
    }
}
