import DatasetKit
import Foundation
import XCTest

/// FilePath must agree with dirname(1)/basename(1) and never trap, whatever the name.
final class FilePathTests: XCTestCase {
    func testParentIsDirnameForEveryShape() {
        let cases: [(String, String)] = [
            ("x", "."), ("a/b", "a"), ("/x", "/"), ("/", "/"), ("", "."), ("a/b/", "a"), ("a//b", "a"),
            ("/a/b/c", "/a/b"), ("//a", "/"), ("./x", "."), ("../x", ".."), ("é", "."), ("数据/é", "数据"),
            (".hidden", "."), ("-dash", "."), ("with space/x", "with space"), ("new\nline/y", "new\nline"),
        ]
        for (path, parent) in cases {
            XCTAssertEqual(FilePath.parent(path), parent, "parent of \(path.debugDescription)")
        }
    }

    func testLastComponentIsBasenameForEveryShape() {
        let cases: [(String, String)] = [
            ("x", "x"), ("a/b", "b"), ("/x", "x"), ("/", "/"), ("", ""), ("a/b/", "b"), ("a//b//", "b"),
            ("数据", "数据"), ("dir/.hidden", ".hidden"), ("dir/-n", "-n"), ("a/new\nline", "new\nline"),
        ]
        for (path, last) in cases {
            XCTAssertEqual(FilePath.lastComponent(path), last, "last component of \(path.debugDescription)")
        }
    }

    func testJoinPutsOneSlashBetweenParts() {
        XCTAssertEqual(FilePath.join("a", "b"), "a/b")
        XCTAssertEqual(FilePath.join("a/", "b", "c"), "a/b/c")
        XCTAssertEqual(FilePath.join("/", "x"), "/x")
        XCTAssertEqual(FilePath.join("", "x"), "x")
        XCTAssertEqual(FilePath.join("/p", "/x/", ""), "/p/x", "parts are relative; empty parts add nothing")
        XCTAssertEqual(FilePath.join("/p", "a//b"), "/p/a/b")
        XCTAssertEqual(FilePath.join("/p", []), "/p")
    }

    func testComponentsAndEnclosingFolders() {
        XCTAssertEqual(FilePath.components("/a//b/"), ["a", "b"])
        XCTAssertEqual(FilePath.components("/"), [])
        XCTAssertEqual(FilePath.rawComponents("a//b"), ["a", "", "b"])
        XCTAssertEqual(FilePath.enclosingFolders("x"), [])
        XCTAssertEqual(FilePath.enclosingFolders("a/b/c"), ["a", "a/b"])
        let deep = (1...20).map { "d\($0)" }.joined(separator: "/") + "/file"
        XCTAssertEqual(FilePath.enclosingFolders(deep).count, 20)
        XCTAssertEqual(FilePath.enclosingFolders(deep).last, (1...20).map { "d\($0)" }.joined(separator: "/"))
    }

    /// A name starting with a combining mark forms one grapheme with the "/" before it;
    /// splitting by Character would miss that separator.
    func testSeparatorsBeforeCombiningMarksAreSeen() {
        let path = "a/\u{301}b"
        XCTAssertEqual(FilePath.components(path), ["a", "\u{301}b"])
        XCTAssertEqual(FilePath.parent(path), "a")
        XCTAssertEqual(FilePath.lastComponent(path), "\u{301}b")
        XCTAssertEqual(FilePath.components("../\u{301}x"), ["..", "\u{301}x"])
        XCTAssertFalse(MediaPath.isSafe("../\u{301}x"), "a media path cannot hide .. behind a combining mark")
        XCTAssertTrue(FilePath.isAbsolute("/\u{301}x"))
    }

    func testRelativeInsideComparesWholeComponentsAndBytes() {
        XCTAssertEqual(FilePath.relative("/p/.dpm/stash/x/media", inside: "/p/.dpm"), "stash/x/media")
        XCTAssertEqual(FilePath.relative("/p/.dpm/x", inside: "/p/.dpm/"), "x")
        XCTAssertNil(FilePath.relative("/p/.dpm", inside: "/p/.dpm"), "the folder itself is not inside it")
        XCTAssertNil(FilePath.relative("/p/.dpmx/y", inside: "/p/.dpm"))
        XCTAssertNil(FilePath.relative("p/.dpm/y", inside: "/p/.dpm"))
        XCTAssertNil(FilePath.relative("/p/\u{e9}/y", inside: "/p/e\u{301}"), "differently normalized names are other files")
        XCTAssertFalse(FilePath.sameBytes("\u{e9}", "e\u{301}"))
    }

    func testPlainNames() {
        for name in ["x", ".hidden", "-n", "数据", "a b", "new\nline", String(repeating: "n", count: 255)] {
            XCTAssertTrue(FilePath.isPlainName(name), name.debugDescription)
        }
        for name in ["", ".", "..", "a/b", "a\0b"] {
            XCTAssertFalse(FilePath.isPlainName(name), name.debugDescription)
        }
    }

    func testMediaPathsOfEveryShapeAreSafe() {
        let deep = (1...20).map { "d\($0)" }.joined(separator: "/") + "/f"
        for path in ["x", "é", "数据", "with space", "-dash", ".hidden", "new\nline", String(repeating: "n", count: 255), deep] {
            XCTAssertTrue(MediaPath.isSafe(path), path.debugDescription)
        }
        for path in ["", "/x", "a/../b", "./x", "a//b", "a/", "..", "a\\b", "a\0b"] {
            XCTAssertFalse(MediaPath.isSafe(path), path.debugDescription)
        }
    }
}
