@testable import DatasetKit
import Foundation
import XCTest

/// What must hold after any switch, crash and repair.
extension LocalFixture {
    static func content(_ profile: String, _ snapshot: String) -> String { FakeSnapshots.content(profile: profile, snapshot: snapshot) }

    /// The working database holds one of `allowed` (with its media beside it); every database
    /// of `before` that held the user's work, and every template, is still there under a name
    /// dpm knows; labels are trusted and say what each database holds; what else is left is
    /// what `dpm cleanup` removes, and after it nothing else is.
    /// `others`: databases outside dpm's labels that the test made (a restore's own target).
    func assertConsistent(before: [String: InMemoryCatalog.Database], working allowed: Set<String>, others: Set<String> = [],
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let after = catalog.all
        guard let working = after[Self.working] else { return XCTFail("the working database is gone", file: file, line: line) }
        XCTAssertTrue(allowed.contains(working.content), "the working database holds \(working.content)", file: file, line: line)
        for (name, held) in before where !held.tablesWritten.isEmpty {
            XCTAssertTrue(after.values.contains { $0.content == held.content && $0.tablesWritten == held.tablesWritten },
                          "the work in \(name) (\(held.content)) is lost", file: file, line: line)
        }
        for (name, template) in before where template.isTemplate {
            XCTAssertEqual(after[name]?.content, template.content, "the template \(name) is gone", file: file, line: line)
        }

        let catalog = try LocalCatalog.load(server: self.catalog, names: names)
        XCTAssertEqual(catalog.untrusted, [], file: file, line: line)
        if let label = catalog.workingLabel {
            XCTAssertEqual(label.contentDescription, working.content, "the working label", file: file, line: line)
        }
        for item in catalog.items {
            XCTAssertEqual(item.label.contentDescription, after[item.name]?.content, "the label of \(item.name)", file: file, line: line)
        }
        if project.mediaDirectory != nil {
            assertMedia(mediaFolder, holds: working, what: "the media folder", file: file, line: line)
            for stash in catalog.stashes {
                guard let stashed = after[stash.name] else { continue }
                let folder = names.media(of: stash)
                XCTAssertNotNil(folder, "the stash \(stash.name) has no media folder", file: file, line: line)
                if let folder { assertMedia(folder, holds: stashed, what: "the media of \(stash.name)", file: file, line: line) }
            }
        }
        for journal in ["switch.json", "restore.json"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(project.stateDirectory)/\(journal)"), "\(journal) is left", file: file, line: line)
        }

        let known = Set([Self.working] + catalog.items.map(\.name)).union(others.filter { after[$0] != nil })
        let leftovers = Set(after.keys).subtracting(known)
        let cleanup = Cleanup(local: try local())
        let found = try cleanup.run(dryRun: true)
        XCTAssertEqual(Set(found.removed.filter { $0.kind == .database }.map(\.name)), leftovers,
                       "databases left beside the working one that dpm cleanup does not remove", file: file, line: line)
        XCTAssertEqual(found.kept.map(\.name), [], file: file, line: line)
        _ = try cleanup.run(dryRun: false)
        XCTAssertEqual(Set(self.catalog.all.keys), known, file: file, line: line)
        let strays = ((try? FileManager.default.contentsOfDirectory(atPath: names.mediaCacheDirectory)) ?? [])
            .filter { $0.hasPrefix("incoming-") || $0.hasPrefix("spare-tmp-") }
        XCTAssertEqual(strays, [], "media copies left in .dpm/media", file: file, line: line)
        let besideMedia = ((try? FileManager.default.contentsOfDirectory(atPath: projectRoot)) ?? []).filter { $0.hasPrefix(".media.") }
        XCTAssertEqual(besideMedia, [], "staging or replaced media left beside the media folder", file: file, line: line)
    }

    /// A media folder holds the snapshot file of its database's content, and the user's file
    /// exactly when the database holds the user's work.
    func assertMedia(_ folder: String, holds database: InMemoryCatalog.Database, what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        let entries = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        XCTAssertTrue(entries.contains(FakeSnapshots.mediaFile(of: database.content)),
                      "\(what) holds \(entries.sorted()), not the media of \(database.content)", file: file, line: line)
        XCTAssertEqual(entries.contains(Self.workFile(of: database.content)), !database.tablesWritten.isEmpty,
                       "\(what): the user's file and the user's work are apart", file: file, line: line)
    }
}
