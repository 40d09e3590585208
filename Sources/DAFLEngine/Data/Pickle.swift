import Foundation

/// A reader of Python pickles, enough for the CIFAR data sets' Python files: dicts, lists, tuples,
/// numbers, strings and bytes, and NumPy arrays (`numpy.core.multiarray._reconstruct`, then BUILD).
/// Nothing is imported or executed: a global is a name, a call is recorded, and only two calls are
/// evaluated (`_codecs.encode(str, "latin1")`, how Python 3 writes bytes at protocol 2, and
/// NumPy's reconstruction, read back by `ndarrayBytes`).
///
/// ```swift
/// let root = try Pickle.parse(data, source: "data_batch_1")
/// let pixels = root["data"]?.ndarrayBytes          // [10000 × 3072] UInt8
/// ```
public indirect enum Pickle {
    case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
    case list([Pickle]), tuple([Pickle]), dict([(Pickle, Pickle)])
    case global(module: String, name: String)
    case call(Pickle, [Pickle])
    case built(Pickle, state: Pickle)

    /// The value at a string or bytes key of a dict.
    public subscript(key: String) -> Pickle? {
        guard case .dict(let items) = self else { return nil }
        return items.first { k, _ in
            switch k { case .string(let s): s == key; case .bytes(let b): b.elementsEqual(key.utf8); default: false }
        }?.1
    }

    /// The elements of a list or tuple.
    public var items: [Pickle]? {
        switch self { case .list(let l), .tuple(let l): l; default: nil }
    }

    public var intValue: Int? { if case .int(let i) = self { i } else { nil } }

    /// A NumPy array's shape and raw bytes (C order), from `_reconstruct(...)` built with its state
    /// `(version, shape, dtype, is_fortran, raw)`.
    public var ndarray: (shape: [Int], raw: [UInt8], fortran: Bool)? {
        guard case .built(let call, let state) = self, case .call(.global(_, "_reconstruct"), _) = call,
              let s = state.items, s.count == 5, let shape = s[1].items?.compactMap(\.intValue) else { return nil }
        let fortran: Bool = if case .bool(let f) = s[3] { f } else { false }
        switch s[4] {
        case .bytes(let b): return (shape, b, fortran)
        case .string(let str): return (shape, str.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }, fortran)
        default: return nil
        }
    }

    struct Failure: Error { let problem: String }

    /// Parses a whole pickle; a damaged or unsupported one throws a `WeightsError` naming `source`.
    public static func parse(_ data: Data, source: String) throws -> Pickle {
        var machine = Machine(bytes: [UInt8](data))
        do { return try machine.run() } catch let f as Failure {
            throw WeightsError(file: source, problem: "not a readable pickle: \(f.problem)")
        }
    }

    /// The pickle machine: a stack, marks and a memo.
    struct Machine {
        let bytes: [UInt8]
        var at = 0
        var stack: [Pickle] = []
        var marks: [Int] = []
        var memo: [Int: Pickle] = [:]

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - at else { throw Failure(problem: "truncated at byte \(at) (needs \(n) more)") }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        mutating func le(_ n: Int) throws -> Int {
            try take(n).reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        mutating func line() throws -> String {
            guard let nl = bytes[at...].firstIndex(of: 0x0A) else { throw Failure(problem: "unterminated line at byte \(at)") }
            defer { at = nl + 1 }
            return String(decoding: bytes[at..<nl], as: UTF8.self)
        }
        mutating func pop() throws -> Pickle {
            guard let v = stack.popLast() else { throw Failure(problem: "stack underflow at byte \(at)") }
            return v
        }
        mutating func popMark() throws -> [Pickle] {
            guard let m = marks.popLast(), m <= stack.count else { throw Failure(problem: "no mark at byte \(at)") }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }
        mutating func sized(_ n: Int) throws -> [UInt8] {
            guard n >= 0, n <= 1 << 31 else { throw Failure(problem: "implausible length \(n)") }
            return Array(try take(n))
        }
        mutating func text(_ n: Int) throws -> String { String(decoding: try sized(n), as: UTF8.self) }

        mutating func run() throws -> Pickle {
            while at < bytes.count {
                let op = try take(1).first!
                switch op {
                case 0x80: _ = try take(1)                                    // PROTO
                case 0x95: _ = try take(8)                                    // FRAME
                case 0x2E: return try pop()                                   // STOP
                case 0x28: marks.append(stack.count)                          // MARK
                case 0x7D: stack.append(.dict([]))                            // EMPTY_DICT
                case 0x5D: stack.append(.list([]))                            // EMPTY_LIST
                case 0x29: stack.append(.tuple([]))                           // EMPTY_TUPLE
                case 0x4E: stack.append(.none)                                // NONE
                case 0x88: stack.append(.bool(true))                          // NEWTRUE
                case 0x89: stack.append(.bool(false))                         // NEWFALSE
                case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))  // BININT
                case 0x4B: stack.append(.int(try le(1)))                      // BININT1
                case 0x4D: stack.append(.int(try le(2)))                      // BININT2
                case 0x8A:                                                    // LONG1
                    let n = try le(1)
                    guard n <= 8 else { throw Failure(problem: "integer of \(n) bytes") }
                    let raw = try take(n)
                    var v = raw.reversed().reduce(0) { $0 << 8 | Int($1) }
                    if n > 0 && n < 8 && raw.last! & 0x80 != 0 { v -= 1 << (8 * n) }
                    stack.append(.int(v))
                case 0x47: stack.append(.float(Double(bitPattern: UInt64(try take(8).reduce(0) { $0 << 8 | UInt64($1) }))))  // BINFLOAT
                case 0x54: stack.append(.bytes(try sized(try le(4))))         // BINSTRING (Python 2 str)
                case 0x55: stack.append(.bytes(try sized(try le(1))))         // SHORT_BINSTRING
                case 0x42: stack.append(.bytes(try sized(try le(4))))         // BINBYTES
                case 0x43: stack.append(.bytes(try sized(try le(1))))         // SHORT_BINBYTES
                case 0x8E: stack.append(.bytes(try sized(try le(8))))         // BINBYTES8
                case 0x58: stack.append(.string(try text(try le(4))))         // BINUNICODE
                case 0x8C: stack.append(.string(try text(try le(1))))         // SHORT_BINUNICODE
                case 0x8D: stack.append(.string(try text(try le(8))))         // BINUNICODE8
                case 0x71: memo[try le(1)] = stack.last                       // BINPUT
                case 0x72: memo[try le(4)] = stack.last                       // LONG_BINPUT
                case 0x94: memo[memo.count] = stack.last                      // MEMOIZE
                case 0x68, 0x6A:                                              // BINGET, LONG_BINGET
                    let i = try le(op == 0x68 ? 1 : 4)
                    guard let v = memo[i] else { throw Failure(problem: "memo \(i) missing") }
                    stack.append(v)
                case 0x63:                                                    // GLOBAL
                    let module = try line(), name = try line()
                    stack.append(.global(module: module, name: name))
                case 0x93:                                                    // STACK_GLOBAL
                    let name = try pop(), module = try pop()
                    guard case .string(let n) = name, case .string(let m) = module else { throw Failure(problem: "bad STACK_GLOBAL") }
                    stack.append(.global(module: m, name: n))
                case 0x74: stack.append(.tuple(try popMark()))                // TUPLE
                case 0x85: stack.append(.tuple([try pop()]))                  // TUPLE1
                case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))                       // TUPLE2
                case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))     // TUPLE3
                case 0x61:                                                    // APPEND
                    let v = try pop()
                    guard case .list(let l) = try pop() else { throw Failure(problem: "APPEND to a non-list") }
                    stack.append(.list(l + [v]))
                case 0x65:                                                    // APPENDS
                    let vs = try popMark()
                    guard case .list(let l) = try pop() else { throw Failure(problem: "APPENDS to a non-list") }
                    stack.append(.list(l + vs))
                case 0x73:                                                    // SETITEM
                    let v = try pop(), k = try pop()
                    guard case .dict(let d) = try pop() else { throw Failure(problem: "SETITEM on a non-dict") }
                    stack.append(.dict(d + [(k, v)]))
                case 0x75:                                                    // SETITEMS
                    let kvs = try popMark()
                    guard kvs.count % 2 == 0, case .dict(let d) = try pop() else { throw Failure(problem: "bad SETITEMS") }
                    stack.append(.dict(d + stride(from: 0, to: kvs.count, by: 2).map { (kvs[$0], kvs[$0 + 1]) }))
                case 0x52:                                                    // REDUCE
                    let args = try pop(), callee = try pop()
                    guard let a = args.items else { throw Failure(problem: "REDUCE without a tuple") }
                    if case .global("_codecs", "encode") = callee, a.count == 2, case .string(let s) = a[0] {
                        stack.append(.bytes(s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }))  // latin-1
                    } else {
                        stack.append(.call(callee, a))
                    }
                case 0x62:                                                    // BUILD
                    let state = try pop(), object = try pop()
                    stack.append(.built(object, state: state))
                default:
                    throw Failure(problem: String(format: "unsupported opcode 0x%02x at byte %d", op, at - 1))
                }
            }
            throw Failure(problem: "no STOP: truncated")
        }
    }
}
