"""The CUDA backend: ``device=cuda`` runs graphs on an NVIDIA GPU through pycuda.

* :mod:`.driver`: pycuda imported lazily; ``require_cuda`` raises one
  clear error naming what is missing (pycuda, the driver, a device);
* :mod:`.array`: the GPU array type, its variables and the transfer ops;
  :mod:`.sharedvar`: GPU shared variables;
* :mod:`.placement`: the rewrite moving graphs onto the GPU
  (:class:`~.gpu_op.GpuOp` nodes) with transfers at the borders;
* :mod:`.kernels`: CUDA source rendered from the C backend's scalar code
  (elemwise, reductions, softmaxes, cross-entropies, MRG31k3p, im2col,
  pooling); :mod:`.build`: nvcc to PTX, cached on disk;
* :mod:`.lower`: per op family, the kernels a node needs and its thunk;
  :mod:`.cublas`: GEMM/GEMV; :mod:`.linker`: ``CudaLinker``.

Nothing here imports pycuda until a function is compiled for a GPU.
"""
