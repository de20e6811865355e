// NASCExport: ONNX, DOT and SVG writers.
