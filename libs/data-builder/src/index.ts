// Public API of @courier/data-builder: PV grouping, click histories, down-sampling, splits.
export {};
