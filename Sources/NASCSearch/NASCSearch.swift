// NASCSearch: lowering IR to supernets, relaxations, methods, derivation, datasets.
