@testable import DatasetKit
import Foundation
import XCTest

/// Which labels dpm accepts as its own: only those it could have written for that name.
final class LabelTrustUnitTests: XCTestCase {
    private let names = LocalNames(working: "app_dev", stateDirectory: "/p/.dpm")

    private func label(_ role: DatabaseLabel.Role, profile: String? = nil, snapshot: String? = nil, media: String? = nil) -> DatabaseLabel {
        DatabaseLabel(role: role, working: "app_dev", profile: profile, snapshot: snapshot, since: "2026-01-01T00:00:00.000Z", media: media)
    }

    func testLabelsDpmWritesAreTrusted() {
        let stash = names.stash(at: Date(timeIntervalSince1970: 1_795_000_000), taken: [])
        XCTAssertNil(names.distrust(stash, label(.stash, media: names.stashMedia(stash))))
        XCTAssertNil(names.distrust(stash, label(.stash)), "a stash without media")
        XCTAssertNil(names.distrust("app_dev__acme", label(.attached, profile: "acme", media: names.attachedMedia("app_dev__acme"))))
        XCTAssertNil(names.distrust("debug-copy", label(.attached, profile: "acme")), "--as names are the user's choice")
        let snapshot = "20261122T101500Z-a1b2c3"
        XCTAssertNil(names.distrust(names.template(profile: "ug", snapshot: snapshot), label(.template, profile: "ug", snapshot: snapshot)))
        XCTAssertNil(names.distrust(names.spare(profile: "ug", snapshot: "git-0123456789ab"), label(.spare, profile: "ug", snapshot: "git-0123456789ab")))
        XCTAssertNil(names.distrust("anything", label(.working)), "nothing acts on a working label away from the working database")
    }

    func testAMovedCheckoutKeepsItsStashesButOnlyTheDerivedPathIsUsed() {
        let stash = names.stash(at: Date(timeIntervalSince1970: 1_795_000_000), taken: [])
        let moved = "/old/place/.dpm/stash/\(stash)/media"
        XCTAssertNil(names.distrust(stash, label(.stash, media: moved)))
        let item = LocalCatalog.Item(name: stash, label: label(.stash, media: moved), isTemplate: false)
        XCTAssertEqual(names.media(of: item), names.stashMedia(stash))
        XCTAssertEqual(names.ownFolder(of: item), "/p/.dpm/stash/\(stash)")
    }

    func testForgedLabelsAreDistrusted() {
        let stash = names.stash(at: Date(timeIntervalSince1970: 1_795_000_000), taken: [])
        XCTAssertNotNil(names.distrust("evil", label(.attached, media: "/some/where")))
        XCTAssertNotNil(names.distrust("evil", label(.attached, media: "/p/.dpm/attached/other/media")))
        XCTAssertNotNil(names.distrust("..", label(.attached)), "a name that is not a folder name")
        XCTAssertNotNil(names.distrust("a/b", label(.attached)))
        XCTAssertNotNil(names.distrust(stash, label(.stash, media: "/some/where")))
        XCTAssertNotNil(names.distrust("evil", label(.stash)), "not a name dpm gives a stash")
        XCTAssertNotNil(names.distrust("other__stash_20260101T000000", label(.stash)), "another working database's stash name")
        XCTAssertNotNil(names.distrust("evil", label(.template, profile: "../..", snapshot: "x")))
        XCTAssertNotNil(names.distrust("evil", label(.template, profile: "ug", snapshot: "../x")))
        XCTAssertNotNil(names.distrust("evil", label(.template, profile: "ug", snapshot: "20261122T101500Z-a1b2c3")), "wrong name for that template")
        XCTAssertNotNil(names.distrust("evil", label(.spare)), "no profile or snapshot")
        let template = names.template(profile: "ug", snapshot: "20261122T101500Z-a1b2c3")
        XCTAssertNotNil(names.distrust(template, label(.template, profile: "ug", snapshot: "20261122T101500Z-a1b2c3", media: "/x")))
    }

    func testStashNamesAreRecognized() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let first = names.stash(at: date, taken: [])
        XCTAssertTrue(names.isStashName(first))
        XCTAssertTrue(names.isStashName(names.stash(at: date, taken: [first])))
        let long = LocalNames(working: String(repeating: "w", count: 60), stateDirectory: "/p/.dpm")
        XCTAssertTrue(long.isStashName(long.stash(at: date, taken: [])), "a shortened working name")
        XCTAssertFalse(names.isStashName("app_dev__stash_latest"))
    }
}
