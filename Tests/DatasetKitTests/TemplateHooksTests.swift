@testable import DatasetKit
import Foundation
import XCTest

/// Post-restore hooks at a template's build, against the in-memory catalog: they run on the
/// database being built, the label records them, and a template built without them is
/// replaced only once its successor is complete.
final class TemplateHooksTests: XCTestCase {
    typealias F = LocalFixture

    private final class Recorder: HookCommands, @unchecked Sendable {
        let runs = Locked([String]())
        let fails = Locked(false)

        func runHook(_ command: String, for database: String, in directory: String, environment: [String: String]) throws {
            runs.withValue { $0.append("\(command)@\(database)") }
            if fails.current { throw DPMError.toolFailed(ToolFailure(tool: command, status: .exit(1), lastLines: ["broken"])) }
        }
    }

    private func use(_ fixture: F, hooks recorder: Recorder?, _ commands: [PostRestoreHook] = [PostRestoreHook(command: "reindex")]) throws -> SwitchResult {
        var local = try fixture.local()
        if let recorder {
            local.hooks = PostRestoreHooks(hooks: commands, runner: recorder, directory: fixture.projectRoot, note: { _ in }, enabled: true)
        }
        return try Switch(local: local).use(SwitchOptions(profile: try ProfileName("ug"), jobs: 1))
    }

    private func label(_ fixture: F, _ name: String) -> DatabaseLabel? { DatabaseLabel.parse(fixture.catalog[name]?.comment) }

    func testTheHookRunsOnTheTemplateBeingBuiltAndItsLabelRecordsIt() throws {
        let fixture = try F()
        let recorder = Recorder()
        XCTAssertEqual(try use(fixture, hooks: recorder).method, .restore)
        let template = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        XCTAssertEqual(recorder.runs.current.count, 1)
        XCTAssertTrue(recorder.runs.current[0].hasPrefix("reindex@\(F.working)__dpm_template_"), "\(recorder.runs.current)")
        XCTAssertNotNil(label(fixture, template)?.hooks)
        try fixture.work()
        XCTAssertEqual(try use(fixture, hooks: recorder).method, .clone)
        XCTAssertEqual(recorder.runs.current.count, 1, "a clone does not run the template's hook again")
    }

    func testATemplateBuiltWithoutTheHooksIsReplacedWhenItsSuccessorIsComplete() throws {
        let fixture = try F()
        XCTAssertEqual(try use(fixture, hooks: nil).method, .restore)
        try fixture.refill()
        let template = fixture.names.template(profile: "ug", snapshot: F.snapshotA)
        let spare = fixture.names.spare(profile: "ug", snapshot: F.snapshotA)
        XCTAssertNotNil(fixture.catalog[spare])
        XCTAssertNil(label(fixture, template)?.hooks)

        // The hook fails: the old template (and nothing else) stays, and the switch changes nothing.
        let recorder = Recorder()
        recorder.fails.withValue { $0 = true }
        try fixture.work()
        let before = fixture.catalog.committed()
        XCTAssertThrowsError(try use(fixture, hooks: recorder)) { error in
            XCTAssertTrue(error.userMessage.contains("the template was not kept"), error.userMessage)
        }
        XCTAssertEqual(recorder.runs.current.count, 1)
        XCTAssertEqual(Set(fixture.catalog.committed().keys), Set(before.keys).subtracting([spare]), "only the outdated spare went")
        XCTAssertEqual(fixture.catalog[template], before[template])

        recorder.fails.withValue { $0 = false }
        XCTAssertEqual(try use(fixture, hooks: recorder).method, .restore)
        XCTAssertEqual(recorder.runs.current.count, 2)
        XCTAssertNotNil(label(fixture, template)?.hooks, "the successor took the template's name")
        XCTAssertEqual(fixture.catalog[template]?.isTemplate, true)
        XCTAssertEqual(fixture.catalog.all.keys.filter { $0.contains("__dpm_") }, [], "the outdated template was dropped")
        XCTAssertEqual(LocalState.load(fixture.names).templates, [template])
    }
}
