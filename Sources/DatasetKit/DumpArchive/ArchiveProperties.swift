import Foundation

extension DatabaseProperties {
    /// What a dump says of the database it was made from: encoding and locale from its
    /// DATABASE entry (`CREATE DATABASE … ENCODING = 'UTF8' LOCALE_PROVIDER = icu …`, in every
    /// archive since pg_dump 11), settings from DATABASE PROPERTIES (`ALTER DATABASE … SET`)
    /// and the database's comment. Nil without a DATABASE entry: the restore then takes the
    /// server's defaults, as for snapshots made before dpm recorded properties.
    static func fromArchive(_ entries: [ArchiveEntry]) -> DatabaseProperties? {
        guard let database = entries.first(where: { $0.desc == "DATABASE" }) else { return nil }
        let options = SQLWords.options(afterWith: database.defn)
        let provider = LocaleProvider(rawValue: options["LOCALE_PROVIDER"]?.lowercased() ?? "libc") ?? .libc
        let locale = options["LOCALE"]
        var properties = DatabaseProperties(
            encoding: options["ENCODING"] ?? "UTF8", localeProvider: provider,
            collate: options["LC_COLLATE"] ?? locale ?? "C", ctype: options["LC_CTYPE"] ?? locale ?? "C",
            locale: provider == .libc ? nil : options["ICU_LOCALE"] ?? options["BUILTIN_LOCALE"] ?? locale
        )
        for entry in entries where entry.desc == "DATABASE PROPERTIES" {
            properties.settings += SQLWords.settings(in: entry.defn)
        }
        if let comment = entries.first(where: { $0.desc == "COMMENT" && $0.tag.hasPrefix("DATABASE ") }) {
            properties.comment = SQLWords.literal(after: " IS ", in: comment.defn)
        }
        return properties
    }
}

/// The few pieces of pg_dump's SQL that a dump's database entries are read for.
enum SQLWords {
    /// `KEY = value` pairs after WITH in a CREATE DATABASE statement, keys upper-cased, values unquoted.
    static func options(afterWith statement: String) -> [String: String] {
        guard let with = statement.range(of: " WITH ") else { return [:] }
        var scanner = Scanner(Array(statement[with.upperBound...].unicodeScalars))
        var options: [String: String] = [:]
        while let key = scanner.word() {
            guard scanner.take("="), let value = scanner.value() else { break }
            options[key.uppercased()] = value
        }
        return options
    }

    /// `ALTER DATABASE name SET key TO 'a', 'b';` statements as "key=a, b", the form PostgreSQL keeps them in.
    static func settings(in sql: String) -> [String] {
        sql.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("ALTER DATABASE "), let set = line.range(of: " SET ") else { return nil }
            var scanner = Scanner(Array(line[set.upperBound...].unicodeScalars))
            guard let name = scanner.word(), scanner.take("TO") || scanner.take("=") else { return nil }
            var values: [String] = []
            repeat {
                guard let value = scanner.value() else { return nil }
                values.append(value)
            } while scanner.take(",")
            return "\(name)=\(values.joined(separator: ", "))"
        }
    }

    /// The string literal following `marker` in `sql`.
    static func literal(after marker: String, in sql: String) -> String? {
        guard let range = sql.range(of: marker) else { return nil }
        var scanner = Scanner(Array(sql[range.upperBound...].unicodeScalars))
        return scanner.value()
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var position = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func skipSpaces() {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        }

        mutating func take(_ text: String) -> Bool {
            skipSpaces()
            let wanted = Array(text.unicodeScalars)
            guard position + wanted.count <= scalars.count, Array(scalars[position..<(position + wanted.count)]) == wanted else { return false }
            position += wanted.count
            return true
        }

        /// A keyword or unquoted name.
        mutating func word() -> String? {
            skipSpaces()
            let begin = position
            while position < scalars.count, scalars[position] == "_" || scalars[position].properties.isAlphabetic
                || ("0"..."9").contains(scalars[position]) || scalars[position] == "." { position += 1 }
            return position > begin ? String(String.UnicodeScalarView(scalars[begin..<position])) : nil
        }

        /// A string literal ('…' with '' for a quote, or E'…' with backslash escapes), a quoted identifier, or a word.
        mutating func value() -> String? {
            skipSpaces()
            guard position < scalars.count else { return nil }
            var escapes = false
            if scalars[position] == "E" || scalars[position] == "e", position + 1 < scalars.count, scalars[position + 1] == "'" {
                escapes = true
                position += 1
            }
            let quote = scalars[position]
            guard quote == "'" || quote == "\"" else { return word() }
            position += 1
            var text = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                position += 1
                if escapes, scalar == "\\", position < scalars.count {
                    text.append(scalars[position])
                    position += 1
                } else if scalar == quote {
                    guard position < scalars.count, scalars[position] == quote else { return String(text) }
                    text.append(quote)
                    position += 1
                } else {
                    text.append(scalar)
                }
            }
            return nil
        }
    }
}

extension ServerVersion {
    /// The version a dump's header names ("15.18 (Debian 15.18-0+deb12u1)", "9.6.24"), as
    /// `server_version_num` would give it; 0 when it does not start with a version.
    init(dumpedText text: String) {
        let parts = text.prefix { $0 == "." || $0.isNumber }.split(separator: ".").compactMap { Int($0) }
        let number = switch parts.count {
        case 0: 0
        case 1: parts[0] * 10000
        default: parts[0] >= 10 ? parts[0] * 10000 + parts[1] : parts[0] * 10000 + parts[1] * 100 + (parts.count > 2 ? parts[2] : 0)
        }
        self.init(number: number, text: text)
    }
}
