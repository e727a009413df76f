@testable import DatasetKit
import Foundation
import XCTest

/// dpm.yaml's `hooks:` and which hooks run when, against a recording runner.
final class PostRestoreHooksTests: XCTestCase {
    private final class Recorder: HookCommands, @unchecked Sendable {
        var runs: [(command: String, database: String, environment: [String: String])] = []
        var failing: [String: ToolFailure] = [:]

        func runHook(_ command: String, for database: String, in directory: String, environment: [String: String]) throws {
            runs.append((command, database, environment))
            if let failure = failing[command] { throw DPMError.toolFailed(failure) }
        }
    }

    private func config(_ text: String) throws -> HooksConfig {
        let path = NSTemporaryDirectory() + "dpm-hooks-\(UUID().uuidString).yaml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ProjectConfig.load(path: path, overrides: ProjectOverrides(), connectionStrings: UnparsableStrings()).hooks
    }

    func testEntriesAreCommandsOrMappings() throws {
        XCTAssertEqual(try config("hooks:\n  post_restore:\n    - bin/rails search:reindex\n    - run: bin/warm\n      per_switch: true\n    - {run: x, per_switch: false}\n"),
                       HooksConfig(postRestore: [PostRestoreHook(command: "bin/rails search:reindex"),
                                                 PostRestoreHook(command: "bin/warm", perSwitch: true), PostRestoreHook(command: "x")]))
        XCTAssertEqual(try config("hooks:\n  post_restore: bin/one\n"), HooksConfig(postRestore: [PostRestoreHook(command: "bin/one")]))
        XCTAssertEqual(try config("database: app\n"), HooksConfig())
    }

    func testEachMomentRunsItsHooksInOrder() throws {
        let recorder = Recorder()
        let hooks = PostRestoreHooks(hooks: [PostRestoreHook(command: "a"), PostRestoreHook(command: "b", perSwitch: true), PostRestoreHook(command: "c")],
                                     runner: recorder, directory: "/p", note: { _ in }, enabled: true)
        try hooks.run(.restored, on: "db", profile: "ug", snapshot: "s1")
        try hooks.run(.templateBuilt, on: "tpl", profile: "ug", snapshot: "s1")
        try hooks.run(.copied, on: "work", profile: "ug", snapshot: "s1")
        XCTAssertEqual(recorder.runs.map { "\($0.command)@\($0.database)" }, ["a@db", "b@db", "c@db", "a@tpl", "c@tpl", "b@work"])
        XCTAssertEqual(recorder.runs[0].environment, ["DPM_PROFILE": "ug", "DPM_SNAPSHOT": "s1"])

        let off = PostRestoreHooks(hooks: hooks.hooks, runner: recorder, directory: "/p", note: { _ in }, enabled: false)
        try off.run(.restored, on: "db", profile: "ug", snapshot: nil)
        XCTAssertEqual(recorder.runs.count, 6, "--no-hooks runs none")
    }

    func testATemplateRecordsItsHooksAndOneWithoutThemIsOutdated() {
        let make = { (hooks: [PostRestoreHook], enabled: Bool) in
            PostRestoreHooks(hooks: hooks, runner: nil, directory: "/p", note: { _ in }, enabled: enabled)
        }
        let reindex = make([PostRestoreHook(command: "reindex"), PostRestoreHook(command: "warm", perSwitch: true)], true)
        let record = reindex.templateRecord
        XCTAssertNotNil(record)
        XCTAssertEqual(record, make([PostRestoreHook(command: "reindex")], true).templateRecord, "per_switch hooks are not the template's")
        XCTAssertNotEqual(record, make([PostRestoreHook(command: "reindex --all")], true).templateRecord)
        XCTAssertNil(make(reindex.hooks, false).templateRecord, "--no-hooks builds a template without them")
        XCTAssertNil(make([PostRestoreHook(command: "warm", perSwitch: true)], true).templateRecord)

        var label = DatabaseLabel(role: .template, working: "app", profile: "ug", snapshot: "s1", since: "t")
        XCTAssertTrue(reindex.outdates(label), "built without the hook")
        label.hooks = record
        XCTAssertFalse(reindex.outdates(label))
        XCTAssertTrue(make([PostRestoreHook(command: "other")], true).outdates(label), "the hooks changed")
        XCTAssertFalse(make([], true).outdates(label), "a template with the work of hooks no longer configured is kept")
        XCTAssertFalse(make(reindex.hooks, false).outdates(DatabaseLabel(role: .template, working: "app", since: "t")), "--no-hooks takes any template")
    }

    func testAFailureSaysWhatStaysAndWhatDidNotRun() {
        let recorder = Recorder()
        recorder.failing["a"] = ToolFailure(tool: "a", status: .exit(2), lastLines: ["one", "two"])
        recorder.failing["k"] = ToolFailure(tool: "k", status: .signal(9), lastLines: [])
        let hooks = PostRestoreHooks(hooks: [PostRestoreHook(command: "a"), PostRestoreHook(command: "b"), PostRestoreHook(command: "c")],
                                     runner: recorder, directory: "/p", note: { _ in }, enabled: true)
        XCTAssertThrowsError(try hooks.run(.restored, on: "db", profile: "ug", snapshot: "s1")) { error in
            XCTAssertEqual((error as? DPMError)?.kind, .toolFailed)
            XCTAssertEqual(error.userMessage, "The post_restore hook \"a\" failed with exit code 2 on db (its last lines: one / two); db stays, filled with ug s1, without the hook's work (the 2 hooks after it did not run).")
        }
        XCTAssertThrowsError(try hooks.run(.templateBuilt, on: "tpl", profile: "ug", snapshot: "s1")) { error in
            XCTAssertEqual(error.userMessage, "The post_restore hook \"a\" failed with exit code 2 while building the template of ug s1 (its last lines: one / two); the template was not kept, so nothing was switched or attached (the 2 hooks after it did not run); fix the hook, or add --no-hooks to go without it.")
        }
        let killed = PostRestoreHooks(hooks: [PostRestoreHook(command: "k", perSwitch: true)], runner: recorder, directory: "/p", note: { _ in }, enabled: true)
        XCTAssertThrowsError(try killed.run(.copied, on: "work", profile: "ug", snapshot: nil)) { error in
            XCTAssertEqual(error.userMessage, "The post_restore hook \"k\" failed with signal 9 on work (it wrote nothing); work stays, filled with ug, without the hook's work.")
        }
    }
}
