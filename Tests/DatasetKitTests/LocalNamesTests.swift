@testable import DatasetKit
import Foundation
import XCTest

final class LocalNamesTests: XCTestCase {
    private let names = LocalNames(working: "app_dev", stateDirectory: "/p/.dpm")

    func testNamesSayWhatTheDatabaseIs() {
        XCTAssertTrue(names.template(profile: "user-generated", snapshot: "20261122T101500Z-a1b2c3").hasPrefix("app_dev__tpl_user-generated_"))
        XCTAssertTrue(names.spare(profile: "user-generated", snapshot: "20261122T101500Z-a1b2c3").hasPrefix("app_dev__spare_user-generated_"))
        XCTAssertEqual(names.attached(profile: "customer-acme"), "app_dev__customer-acme")
        XCTAssertNotEqual(names.template(profile: "a", snapshot: "1"), names.template(profile: "a", snapshot: "2"))
    }

    func testLongNamesAreShortenedToPostgresLimitButStayDistinct() {
        let long = LocalNames(working: String(repeating: "w", count: 60), stateDirectory: "/p/.dpm")
        let profile = String(repeating: "p", count: 63)
        let first = long.template(profile: profile, snapshot: "1"), second = long.template(profile: profile, snapshot: "2")
        XCTAssertLessThanOrEqual(first.utf8.count, 63)
        XCTAssertNotEqual(first, second, "the hash keeps shortened names apart")
        XCTAssertLessThanOrEqual(long.stash(at: Date(), taken: []).utf8.count, 63)
        XCTAssertLessThanOrEqual(long.building("incoming").utf8.count, 63)
        XCTAssertNotNil(long.building("incoming").range(of: long.buildingPattern("incoming"), options: .regularExpression))
    }

    func testLongAttachedNamesKeepBothTheDatabaseAndTheProfile() {
        let working = "enterprise_billing_platform_development"   // 39 bytes
        let names = LocalNames(working: working, stateDirectory: "/p/.dpm")
        let name = names.attached(profile: "customer-acme-corporation-eu")
        XCTAssertLessThanOrEqual(name.utf8.count, 63)
        XCTAssertTrue(name.hasPrefix("enterprise_billing_platform__customer-acme-"), name)
        XCTAssertNotEqual(name, names.attached(profile: "customer-acme-corporation-us"), "the hash keeps them apart")
        XCTAssertEqual(LocalNames(working: "app", stateDirectory: "/p").attached(profile: String(repeating: "p", count: 58)),
                       "app__" + String(repeating: "p", count: 58), "a name that fits is kept whole")
    }

    func testStashNamesAvoidCollisionsAndGiveShortIDs() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let first = names.stash(at: date, taken: [])
        let second = names.stash(at: date, taken: [first])
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(LocalNames.stashID(first), String(first.dropFirst("app_dev__stash_".count)))
        XCTAssertTrue(LocalNames.stashID(second).hasSuffix("_2"))
    }

    func testBesidePatternEscapesRegexCharacters() {
        let dotted = LocalNames(working: "my.app", stateDirectory: "/p/.dpm")
        XCTAssertNotNil("my.app__stash_1".range(of: dotted.besidePattern, options: .regularExpression))
        XCTAssertNil("myXapp__stash_1".range(of: dotted.besidePattern, options: .regularExpression))
    }

    func testLabelsRoundTripThroughTheCommentAndIgnoreOthers() {
        let label = DatabaseLabel(role: .stash, working: "app_dev", profile: "ug", snapshot: "s", kind: .customer,
                                  since: "2026-11-22T10:15:00.000Z", media: "/p/.dpm/stash/x/media", migrations: 3)
        XCTAssertEqual(DatabaseLabel.parse(label.commentText), label)
        XCTAssertNil(DatabaseLabel.parse("production copy, do not touch"))
        XCTAssertNil(DatabaseLabel.parse("dpm {not json"))
        XCTAssertNil(DatabaseLabel.parse(nil))
    }
}
