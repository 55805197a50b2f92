import Foundation

/// Runs the built `demarc` binary the way a user does.
/// The bundled deployments (captures/NAME.pcap against scenarios/NAME.yaml), and the day
/// their reports are pinned to, so accepted risks expire in them as they did when the
/// goldens were written (scripts/update-goldens.sh uses the same day).
enum Deployments {
    static let all = ["overlay-network", "iaas-vms", "data-platform", "credentials-at-the-edge", "managed-branch",
                      "managed-branch-wan"]
    static let asOf = "2026-12-01"

    /// The scenario a bundled capture is replayed against: its own name's, except a
    /// second tap of one deployment (`-wan`), which shares that deployment's.
    static func scenario(_ name: String) -> String {
        "scenarios/\(name.hasSuffix("-wan") ? String(name.dropLast(4)) : name).yaml"
    }
}

enum CLI {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["DEMARC_BIN"] { return b }
        // The test bundle sits beside the binary in the build folder.
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
        for c in [bundleDir.appendingPathComponent("demarc"),
                  packageRoot.appendingPathComponent(".build/debug/demarc")] where FileManager.default.isExecutableFile(atPath: c.path) {
            return c.path
        }
        return packageRoot.appendingPathComponent(".build/debug/demarc").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    /// - Parameters:
    ///   - stdin: a file to read standard input from (default /dev/null).
    ///   - stdout: a file to write standard output to instead of capturing it (/dev/full).
    ///   - shellCommand: `args` starts with another program to run (a shell, python3).
    static func run(_ args: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil,
                    stdin: String? = nil, stdout: String? = nil, shellCommand: Bool = false) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: shellCommand ? args[0] : binary)
        p.arguments = shellCommand ? Array(args.dropFirst()) : args
        p.currentDirectoryURL = packageRoot
        if let environment { p.environment = environment }
        // Files, not pipes: a large report can never block the process, and no reader
        // thread is needed.
        let dir = NSTemporaryDirectory() + "demarc-run-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: dir + ".out", contents: nil)
        FileManager.default.createFile(atPath: dir + ".err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + ".err"))
        defer {
            try? out.close(); try? err.close()
            try? FileManager.default.removeItem(atPath: dir + ".out")
            try? FileManager.default.removeItem(atPath: dir + ".err")
        }
        p.standardOutput = try stdout.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) } ?? out
        p.standardError = err
        p.standardInput = try stdin.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while p.isRunning {
            if Date() > deadline { p.terminate(); timedOut = true; break }
            usleep(2000)
        }
        p.waitUntilExit()
        let outData = FileManager.default.contents(atPath: dir + ".out") ?? Data()
        let errData = FileManager.default.contents(atPath: dir + ".err") ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), timedOut: timedOut)
    }

    /// Runs any program to its end and returns what it wrote on stdout.
    static func output(of executable: String, _ args: [String], environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = packageRoot
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }

    static func json(_ s: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any]
    }

    static func temp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demarc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func temp(_ name: String, text: String) throws -> String { try temp(name, Array(text.utf8)) }

    /// Validates JSON text against the spec's schema with python3's jsonschema.
    /// Returns nil when valid, the validator's complaint otherwise.
    static func schemaProblem(_ document: String) throws -> String? {
        let schema = shared.appendingPathComponent("spec/report.schema.json").path
        let doc = try temp("report.json", text: document)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
        jsonschema.validate(doc, schema)
        """, schema, doc]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus == 0 { return nil }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(text.suffix(600))
    }

    static var hasSchemaValidator: Bool {
        FileManager.default.fileExists(atPath: shared.appendingPathComponent("spec/report.schema.json").path)
            && (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", "import jsonschema"]))
                .map { p in p.waitUntilExit(); return p.terminationStatus == 0 } ?? false
    }
}

extension String {
    /// Standard error without the one line replay and monitor print when no scenario is
    /// given (the built-in scenario's notice), for tests of what else they say.
    var droppingNotice: String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("demarc: no --scenario:") }.joined(separator: "\n")
    }
}
