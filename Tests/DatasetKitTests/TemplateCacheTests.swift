@testable import DatasetKit
import Foundation
import XCTest

/// The template cache against the in-memory catalog: templates are built under a temporary
/// name and take theirs only when complete, a database dpm did not make is never taken for
/// one, and refills and pruning keep spares and media with their templates.
final class TemplateCacheTests: XCTestCase {
    typealias F = LocalFixture
    let a = F.content("ug", F.snapshotA), b = F.content("ug", F.snapshotB)

    private func cache(_ fixture: F) throws -> (TemplateCache, LocalDatabases) {
        let local = try fixture.local()
        return (TemplateCache(local: local, loader: local.loader(1)), local)
    }

    func testEnsureBuildsTheTemplateUnderATemporaryNameAndLabelsIt() throws {
        let fixture = try F()
        let (cache, local) = try cache(fixture)
        let choice = try local.loader(1).choose(try ProfileName("ug"), id: nil)
        let built = try cache.ensure(choice, catalog: try local.catalog())
        XCTAssertTrue(built.built)
        XCTAssertEqual(built.template.name, fixture.names.template(profile: "ug", snapshot: F.snapshotA))
        XCTAssertEqual(Array(fixture.catalog.all.keys), [built.template.name])
        XCTAssertEqual(fixture.catalog[built.template.name]?.isTemplate, true)
        XCTAssertEqual(try local.catalog().template(profile: "ug", snapshot: F.snapshotA)?.label.role, .template)
        XCTAssertEqual(LocalState.load(fixture.names).templates, [built.template.name])
        // Asked again, it is the cached one.
        XCTAssertFalse(try cache.ensure(choice, catalog: try local.catalog()).built)
    }

    func testAFailedBuildDropsWhatItBuilt() throws {
        let fixture = try F()
        let (cache, local) = try cache(fixture)
        fixture.failFill.withValue { $0 = true }
        let choice = try local.loader(1).choose(try ProfileName("ug"), id: nil)
        XCTAssertThrowsError(try cache.ensure(choice, catalog: try local.catalog()))
        XCTAssertEqual(fixture.catalog.all.count, 0)
    }

    func testADatabaseWithTheTemplatesNameThatDPMDidNotMakeIsRefused() throws {
        let fixture = try F()
        let name = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        fixture.catalog.add(name, .init(content: "someone's"))
        XCTAssertThrowsError(try fixture.use("ug")) { error in
            XCTAssertTrue("\(error)".contains("The database \(name) exists but is not a template dpm made; drop or rename it"), "\(error)")
        }
        XCTAssertEqual(fixture.catalog[name]?.content, "someone's")
        XCTAssertEqual(fixture.catalog.all.count, 1)
    }

    func testATemplateDroppedByHandIsRebuiltWithANote() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        let template = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        try fixture.catalog.setTemplate(template, false)
        try fixture.catalog.dropDatabase(template)
        XCTAssertEqual(try fixture.use("ug").method, .restore)
        XCTAssertTrue(fixture.notes.current.contains { $0.contains("The cached template \(template) of ug \(F.snapshotA) is gone (dropped by hand?)") })
        XCTAssertEqual(fixture.catalog[template]?.content, a)
    }

    func testAClonedTemplateWithSessionsRefusesAndTheSwitchChangesNothing() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        try fixture.work()
        let template = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        fixture.catalog.openSession(on: template)
        let before = fixture.catalog.committed()
        XCTAssertThrowsError(try fixture.use("ug")) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .inUse, "\(error)")
        }
        XCTAssertEqual(fixture.catalog.committed(), before)
        fixture.catalog.update(template) { $0.sessions = [] }
        try fixture.assertConsistent(before: before, working: [b])
    }

    func testUseRecordsWhenTheTemplateWasLastUsed() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.use("ug", F.snapshotB)
        let first = try fixture.local().catalog().templatesByUse.map(\.label.snapshot)
        XCTAssertEqual(first, [F.snapshotB, F.snapshotA])
        try fixture.use("ug")
        XCTAssertEqual(try fixture.local().catalog().templatesByUse.map(\.label.snapshot), [F.snapshotA, F.snapshotB])
    }

    func testRefillKeepsSparesOfTheMostRecentlyUsedTemplatesOnly() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        try fixture.work()
        XCTAssertEqual(try fixture.refill(spares: 2).made.count, 2)
        let result = try fixture.refill(spares: 1)
        XCTAssertEqual(result.dropped, [fixture.names.spare(profile: "ug", snapshot: F.snapshotA)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.names.spareMedia(profile: "ug", snapshot: F.snapshotA)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.names.spareMedia(profile: "ug", snapshot: F.snapshotB)))
    }

    func testPruneDropsTheTemplateWithItsSpareAndMedia() throws {
        let fixture = try F()
        try fixture.use("ug")
        try fixture.work()
        try fixture.use("ug", F.snapshotB)
        try fixture.refill()
        let removed = try CacheInventory(local: try fixture.local()).prune(keep: 1, profile: nil)
        XCTAssertEqual(removed.map(\.snapshot), [F.snapshotA])
        XCTAssertNil(fixture.catalog[fixture.names.template(profile: "ug", snapshot: F.snapshotA)])
        XCTAssertNil(fixture.catalog[fixture.names.spare(profile: "ug", snapshot: F.snapshotA)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(fixture.names.mediaCacheDirectory)/ug/\(F.snapshotA)"))
        XCTAssertNotNil(fixture.catalog[fixture.names.template(profile: "ug", snapshot: F.snapshotB)])
    }
}
