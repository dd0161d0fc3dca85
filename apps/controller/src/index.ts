// @bmlb/controller: bmlb controller: assigns Service external IPs from address pools.
export {};
