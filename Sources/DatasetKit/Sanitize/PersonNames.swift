/// `name`, `first_name` and `last_name`: plausible names from the built-in lists, picked by
/// the keyed digest (not unique: many people share a name).
enum PersonNames {
    static func firstName(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        Array(pick(NameLists.first, digester.digest(value), at: 0).utf8)
    }

    static func lastName(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        Array(pick(NameLists.last, digester.digest(value), at: 2).utf8)
    }

    static func fullName(_ value: [UInt8], _ digester: KeyedDigester) -> [UInt8] {
        let digest = digester.digest(value)
        return Array("\(pick(NameLists.first, digest, at: 0)) \(pick(NameLists.last, digest, at: 2))".utf8)
    }

    private static func pick(_ list: [String], _ digest: [UInt8], at offset: Int) -> String {
        list[(Int(digest[offset]) << 8 | Int(digest[offset + 1])) % list.count]
    }
}
