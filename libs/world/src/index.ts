// Public API of @courier/world: synthetic Taobao-style world and MMRec-format datasets.
export {};
