// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "dafl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dafl", targets: ["dafl"]),
        .library(name: "DAFLEngine", targets: ["DAFLEngine"]),
        .library(name: "DAFLTrainer", targets: ["DAFLTrainer", "RunEvents"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // TensorBoard's event files are protocol buffers; the generated code is committed (scripts/generate_protos.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // CPUID and XGETBV, to choose OpenBLAS's kernels before loading it at run time (not linked:
        // OpenBLAS fixes its kernels when it loads). zlib for the gzip'd IDX datasets.
        .target(name: "CCPUID"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // ncursesw for the terminal dashboard.
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncurses-dev"])]),
        // glibc's mallopt, to keep large tensor buffers in the heap between steps.
        .systemLibrary(name: "CMalloc"),
        // Tensors, autograd, layers, optimizers, models, weights I/O, datasets. No UI.
        .target(name: "DAFLEngine", dependencies: ["CCPUID", "CZlib", "CMalloc"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                // Optimised in debug builds too: the tests train small models, and the
                                // SIMD kernels unoptimised made the suite take 128 s instead of 3 s.
                                .unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The run-event schema and its JSON Lines log: what trainer, dashboard and replay share.
        .target(name: "RunEvents"),
        // The DAFL trainer: presets, the steerable training loop, checkpoints. No UI.
        .target(name: "DAFLTrainer", dependencies: ["DAFLEngine", "RunEvents"]),
        // cGAN-KD: the conditional GAN, cDR-RS subsampling, teacher filtering and the student on real + fake. No UI.
        .target(name: "CGANKD", dependencies: ["DAFLEngine", "RunEvents"],
                // Optimised in debug too: its Fréchet distance (Jacobi on 120×120 matrices) took 20 s
                // of the tiny end-to-end test unoptimised.
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The dashboard: widgets drawing into a cell buffer, themes, the event model; plus the ncurses painter.
        .target(name: "Dashboard", dependencies: ["RunEvents", "CNcurses"]),
        // Run events as TensorBoard event files (scalars, histograms, PNG images, text). No UI.
        .target(name: "TensorBoard", dependencies: ["RunEvents", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["tensorboard.proto"]),
        .executableTarget(name: "dafl", dependencies: [
            "DAFLEngine", "RunEvents", "DAFLTrainer", "CGANKD", "Dashboard", "CNcurses", "TensorBoard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DAFLEngineTests", dependencies: ["DAFLEngine"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "RunEventsTests", dependencies: ["RunEvents"]),
        .testTarget(name: "TensorBoardTests", dependencies: ["TensorBoard", "RunEvents"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "RunEvents"]),
        // End-to-end: drives the built `dafl` binary (it depends on it so it is built first).
        .testTarget(name: "daflTests", dependencies: ["dafl", "RunEvents", "DAFLEngine"]),
        .testTarget(name: "CGANKDTests", dependencies: ["CGANKD", "DAFLEngine", "RunEvents"]),
        .testTarget(name: "DAFLTrainerTests", dependencies: ["DAFLTrainer", "DAFLEngine", "RunEvents"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (scripts/fuzz.sh): built only when DAFL_FUZZ is set, with `--sanitize fuzzer` in a scratch
// path of their own, so that ordinary builds and tests never see them.
if Context.environment["DAFL_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "DAFLFuzz",
        dependencies: ["DAFLEngine", "RunEvents", "DAFLTrainer", "CGANKD", "Dashboard", "CZlib"],
        path: "Fuzz/DAFLFuzz",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
