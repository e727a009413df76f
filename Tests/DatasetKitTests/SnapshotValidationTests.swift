import DatasetKit
import Foundation
import XCTest

/// `Snapshot.validate`: a record or manifest dpm would not have written is refused in one sentence.
final class SnapshotValidationTests: XCTestCase {
    private func refusal(_ change: (inout Snapshot) -> Void, kind: ProfileKind? = .shared) -> String? {
        var snapshot = SnapshotFormatTests.sampleSnapshot()
        change(&snapshot)
        do {
            try snapshot.validate(what: "The manifest m", profile: try ProfileName("user-generated"), kind: kind)
            return nil
        } catch {
            return error.userMessage
        }
    }

    func testWhatDpmWritesIsAccepted() {
        XCTAssertNil(refusal { _ in })
    }

    func testEachTamperingIsNamed() throws {
        let cases: [(String, (inout Snapshot) -> Void)] = [
            ("format 5 is unknown", { $0.format = 5 }),
            ("compression \"gzip\" is unknown", { $0.compression = "gzip" }),
            ("names the profile \"other\"", { $0.profile = "other" }),
            ("kind is customer, but profile.yaml says shared", { $0.kind = .customer }),
            ("lists toc.dat more than once", { $0.data.append($0.data[1]) }),
            ("no table of contents", { $0.data.removeLast() }),
            ("negative size", { $0.data[0].storedSize = -1 }),
            ("its schema is \"x.sql\"", { $0.schema.path = "x.sql" }),
            ("only a clean profile's do", { $0.inGit = true }),
        ]
        for (reason, change) in cases {
            let message = try XCTUnwrap(refusal(change), reason)
            XCTAssertTrue(message.hasPrefix("The manifest m is not a snapshot dpm wrote: "), message)
            XCTAssertTrue(message.contains(reason), "\(reason): \(message)")
            XCTAssertTrue(message.hasSuffix("to pin a new snapshot."), message)
        }
    }

    func testACleanProfilesManifestNamesOnlyItsFilesInGit() throws {
        let clean: (inout Snapshot) -> Void = {
            $0.kind = .clean
            $0.inGit = true
            $0.compression = "none"
            $0.data = [Artifact(path: "data.sql", sha256: $0.schema.sha256, size: 1, storedSize: 0)]
        }
        XCTAssertNil(refusal(clean, kind: .clean))
        XCTAssertNotNil(refusal({ clean(&$0); $0.compression = "zstd" }, kind: .clean))
        XCTAssertNotNil(refusal({ clean(&$0); $0.inGit = nil }, kind: .clean))
        XCTAssertNotNil(refusal({ clean(&$0); $0.data.append($0.data[0]) }, kind: .clean))
    }
}
