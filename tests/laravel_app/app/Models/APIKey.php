<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

class APIKey extends Model
{
    protected $table = 'api_keys';

    protected $fillable = ['tenant_id', 'created_by_user_id', 'name', 'key_hash'];

    protected $hidden = ['key_hash', 'created_by_user_id'];

    public function createdBy(): BelongsTo
    {
        return $this->belongsTo(User::class, foreignKey: 'created_by_user_id', ownerKey: 'id');
    }
}
