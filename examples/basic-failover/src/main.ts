import { classifyFailure } from '@failover/core';

console.log('placeholder', classifyFailure(new Error('x')));
