// @bmlb/allocator: Pure MetalLB-compatible IP address allocation from address pools.
export {};
