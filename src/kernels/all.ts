// Every kernel family's descriptors, for users who drive GpuRuntime directly.
export * from './augment';
export * from './batchnorm';
export * from './clip';
export * from './conv';
export * from './dropout';
export * from './elementwise';
export * from './im2col';
export * from './losses';
export * from './gemm';
export * from './matmul';
export * from './matmul-choice';
export * from './norm';
export * from './optim';
export * from './pool';
export * from './reduce';
export * from './softmax_xent';
export * from './workgroup-sum';
