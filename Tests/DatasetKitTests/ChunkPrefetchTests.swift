@testable import DatasetKit
import Foundation
import XCTest

/// The restore's downloads ahead of COPY: each chunk downloaded at most once, by the
/// downloads or by the reader itself, never further ahead than the window, and nothing new
/// started once stopped.
final class ChunkPrefetchTests: XCTestCase {
    func testEachChunkIsFetchedOnceAheadOfASlowReader() {
        let ids: [String?] = (0..<40).map { $0 % 5 == 3 ? nil : "chunk\($0)" }
        let fetched = Locked([String]())
        let furthest = Locked(0)
        let reading = Locked(0)
        let prefetch = ChunkPrefetch(ids: ids, window: 4, workers: 2) { id in
            let index = Int(id.dropFirst(5))!
            furthest.withValue { $0 = max($0, index - reading.current) }
            Thread.sleep(forTimeInterval: 0.001)
            fetched.withValue { $0.append(id) }
        }
        var own: [String] = []
        for index in ids.indices {
            reading.withValue { $0 = index }
            prefetch.wait(for: index)
            if let id = ids[index], !fetched.current.contains(id) { own.append(id) }
            Thread.sleep(forTimeInterval: 0.003) // COPY of the chunk
        }
        prefetch.stop()
        XCTAssertEqual(Set(fetched.current).count, fetched.current.count, "no chunk downloaded twice")
        XCTAssertEqual(Set(fetched.current + own), Set(ids.compactMap { $0 }))
        XCTAssertLessThanOrEqual(own.count, 2, "a slow reader finds its chunks downloaded")
        XCTAssertLessThan(furthest.current, 4 + 1, "never more than the window ahead")
    }

    func testAReaderAheadOfTheDownloadsTakesItsChunksItself() {
        let ids: [String?] = (0..<10).map { "chunk\($0)" }
        let fetched = Locked([String]())
        let open = Locked(false), started = Locked(false)
        let prefetch = ChunkPrefetch(ids: ids, window: 2, workers: 1) { id in
            started.withValue { $0 = true }
            for _ in 0..<2000 where !open.current { Thread.sleep(forTimeInterval: 0.001) }
            fetched.withValue { $0.append(id) }
        }
        for _ in 0..<2000 where !started.current { Thread.sleep(forTimeInterval: 0.001) }
        // The one download is held; the reader skips to chunk 5 (its own) without waiting.
        prefetch.wait(for: 5)
        prefetch.stop()
        open.withValue { $0 = true }
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(fetched.current, ["chunk0"], "only the download under way finished; none started after stop")
    }
}
