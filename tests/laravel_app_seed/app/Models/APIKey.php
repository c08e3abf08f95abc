<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

class APIKey extends Model
{
    protected $table = 'api_keys';

    protected $fillable = ['tenant_id', 'user_id', 'name', 'key_prefix', 'key_hash', 'expires_at'];

    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class, 'user_id');
    }
}
