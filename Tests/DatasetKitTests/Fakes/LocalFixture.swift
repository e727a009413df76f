@testable import DatasetKit
import Foundation
import XCTest

/// What a crash at a checkpoint leaves: thrown there, so that the plan stops as a killed process would.
struct SimulatedCrash: Error {
    let step: String
}

/// A project in a temporary folder (media folder and .dpm included) beside an in-memory
/// server, for unit tests of the switch plans and of the repairs that follow a crash.
final class LocalFixture: @unchecked Sendable {
    static let working = "app"
    static let snapshotA = "20261101T000000Z-aaaaaa"
    static let snapshotB = "20261102T000000Z-bbbbbb"
    static let snapshotC = "20261103T000000Z-cccccc"

    let root: String
    let projectRoot: String
    let catalog = InMemoryCatalog(defaultDatabase: LocalFixture.working)
    let notes = Locked([String]())
    let failFill = Locked(false)
    /// Each profile's pinned snapshot.
    let pinned = Locked(["ug": LocalFixture.snapshotA, "demo": LocalFixture.snapshotC])
    private let clock = Locked(Date(timeIntervalSince1970: 1_795_000_000))
    private let crashStep = Locked<String?>(nil)
    private let crashedState = Locked<[String: InMemoryCatalog.Database]?>(nil)
    let project: Project

    init(media: Bool = true) throws {
        root = FileManager.default.temporaryDirectory.path + "/dpm-local-\(UUID().uuidString)"
        projectRoot = root + "/project"
        for folder in [projectRoot, "\(root)/tmp", "\(projectRoot)/profiles/ug", "\(projectRoot)/profiles/demo"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        for profile in ["ug", "demo"] {
            try Data("kind: shared\n".utf8).write(to: URL(fileURLWithPath: "\(projectRoot)/profiles/\(profile)/profile.yaml"))
        }
        project = Project(root: projectRoot, config: ProjectConfig(media: media ? "media" : nil))
        // As the executable's workspace() does before any command.
        project.secureStateDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var names: LocalNames { LocalNames(working: Self.working, stateDirectory: project.stateDirectory) }
    var mediaFolder: String { "\(projectRoot)/media" }

    var workspace: Workspace {
        let clock = clock, notes = notes, crashStep = crashStep, crashedState = crashedState, catalog = catalog
        let projectRoot = projectRoot, copy = "\(root)/crash-copy"
        return Workspace(project: project, store: MemoryStore(), codec: IdentityCodec(), temporaryDirectory: "\(root)/tmp",
                         toolVersion: "test",
                         now: { clock.withValue { $0 = $0.addingTimeInterval(1); return $0 } },
                         note: { line in notes.withValue { $0.append(line) } },
                         checkpoint: { step in
                             guard let target = crashStep.current, step == target || crashedState.current != nil else { return }
                             if crashedState.current == nil {
                                 // What a kill here leaves: committed databases, the files as they are now.
                                 crashedState.withValue { $0 = catalog.committed() }
                                 try? FileManager.default.removeItem(atPath: copy)
                                 try FileManager.default.copyItem(atPath: projectRoot, toPath: copy)
                             }
                             throw SimulatedCrash(step: step)
                         })
    }

    func local() throws -> LocalDatabases {
        let loader = FakeSnapshots(catalog: catalog, pinned: pinned.current, failFill: failFill)
        return try LocalDatabases(workspace: workspace, catalog: catalog, query: catalog, connection: catalog, loader: { _ in loader })
    }

    // MARK: Commands

    @discardableResult
    func use(_ profile: String, _ snapshot: String? = nil, force: Bool = false) throws -> SwitchResult {
        try Switch(local: try local()).use(SwitchOptions(profile: try ProfileName(profile), snapshotID: snapshot, force: force, jobs: 1))
    }

    @discardableResult
    func undo(force: Bool = false) throws -> SwitchResult { try Switch(local: try local()).undo(force: force) }

    @discardableResult
    func refill(spares: Int = 2) throws -> SpareRefill.Result { try SpareRefill(local: try local(), spares: spares).run() }

    @discardableResult
    func restore(_ profile: String, _ snapshot: String? = nil, into database: String? = nil, force: Bool = true) throws -> RestoreResult {
        let loader = FakeSnapshots(catalog: catalog, pinned: pinned.current, failFill: failFill)
        return try Restore(workspace: workspace, catalog: catalog, query: catalog, loader: { _ in loader })
            .run(RestoreOptions(profile: try ProfileName(profile), snapshotID: snapshot, database: database, force: force, jobs: 1))
    }

    /// What the next dpm command does first: the restore repair every command runs on its
    /// first connection (AppContext.server()), then what use, undo and stash run under the lock.
    func nextCommandRepairs() throws {
        try InterruptedRestores(server: catalog, stateDirectory: project.stateDirectory, note: { _ in }).repairIfNeeded()
        _ = try local().lockAndRepair()
    }

    /// The user's own work on the working database: a table written, and a file in its media folder.
    func work() throws {
        catalog.write("orders", in: Self.working)
        if project.mediaDirectory != nil {
            try Data("mine".utf8).write(to: URL(fileURLWithPath: "\(mediaFolder)/\(Self.workFile(of: catalog[Self.working]?.content ?? ""))"))
        }
    }

    static func workFile(of content: String) -> String { "upload-" + content.replacingOccurrences(of: " ", with: "-") + ".jpg" }

    // MARK: Crashes

    /// Runs `body` until it reaches the checkpoint `step`, and leaves the databases and files
    /// as a kill there would: nothing `body` did after it (its cleanup included) stays.
    func crash(at step: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        crashStep.withValue { $0 = step }
        defer { crashStep.withValue { $0 = nil } }
        do { try body() } catch {}
        guard let state = crashedState.current else { return XCTFail("the plan never reached \(step)", file: file, line: line) }
        crashedState.withValue { $0 = nil }
        catalog.restore(state)
        do {
            try FileManager.default.removeItem(atPath: projectRoot)
            try FileManager.default.moveItem(atPath: "\(root)/crash-copy", toPath: projectRoot)
        } catch {
            XCTFail("cannot put the files back as the crash left them: \(error)", file: file, line: line)
        }
    }
}
